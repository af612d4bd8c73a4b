import java.lang.reflect.Field;

import com.thoughtworks.xstream.XStream;

/**
 * Starts Debian's JMeter 2.13 in non-GUI mode after allowing JMeter's own classes in its XStream
 * readers. Why: Debian 12 pairs jmeter 2.13 with XStream 1.4.20, whose security framework
 * rejects every class it was not told about, so stock `jmeter -n -t plan.jmx` stops at once with
 * "ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper". Only org.apache.jmeter.** and
 * org.apache.jorphan.** are allowed: what a test plan and a results file contain.
 * Run with every JMeter jar on the class path (see run.sh); arguments are JMeter's.
 */
public final class JMeterLauncher {
    private JMeterLauncher() {
    }

    public static void main(String[] args) throws Exception {
        // SaveService reads bin/saveservice.properties when its class loads, so JMeter's home and
        // properties must be known first (JMeter.start loads them again, harmlessly).
        String home = System.getProperty("jmeter.home", "/usr/share/jmeter");
        Class<?> utils = Class.forName("org.apache.jmeter.util.JMeterUtils");
        utils.getMethod("setJMeterHome", String.class).invoke(null, home);
        utils.getMethod("loadJMeterProperties", String.class).invoke(null, home + "/bin/jmeter.properties");
        Class<?> save = Class.forName("org.apache.jmeter.save.SaveService");
        for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
            Field f = save.getDeclaredField(name);
            f.setAccessible(true);
            XStream x = (XStream) f.get(null);
            x.allowTypesByWildcard(new String[] {"org.apache.jmeter.**", "org.apache.jorphan.**"});
        }
        Class<?> jm = Class.forName("org.apache.jmeter.JMeter");
        jm.getMethod("start", String[].class).invoke(jm.getDeclaredConstructor().newInstance(), (Object) args);
    }
}
