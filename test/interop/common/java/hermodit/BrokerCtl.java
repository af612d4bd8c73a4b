package hermodit;

import static hermodit.Suite.check;
import static hermodit.Suite.log;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import javax.jms.Connection;

/**
 * The broker a suite started, seen from its JVM: restarting or crashing it through
 * common/brokerctl.sh and reading its resident memory from /proc (suites whose tests restart
 * the broker or bound its memory).
 */
public final class BrokerCtl {
    private final String dir, ctl;
    private final boolean ref;

    /** dir: the directory given to it_broker_start; ctl: common/brokerctl.sh; ref: the reference broker. */
    public BrokerCtl(String dir, String ctl, boolean ref) {
        this.dir = dir;
        this.ctl = ctl;
        this.ref = ref;
    }

    /** brokerctl.sh DIR stop|start|restart|crash|kill9; fails the test if it fails. */
    public void run(String cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", ctl, dir, cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(new File(dir, "brokerctl.log")));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("brokerctl " + cmd + " did not finish within 120 s");
        }
        check(p.exitValue() == 0, "brokerctl " + cmd + " failed (exit " + p.exitValue() + ")");
    }

    /** The broker's process id (hermod, or the reference JVM). */
    public String pid() throws Exception {
        Path p = ref ? Paths.get(dir, "ref", "broker.pid") : Paths.get(dir, "hermod.pid");
        return new String(Files.readAllBytes(p)).trim();
    }

    /** A field of /proc/PID/status in kB (VmRSS, VmHWM, RssAnon), -1 if unreadable. */
    public long procKb(String field) {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc", pid(), "status"))) {
                if (l.startsWith(field + ":"))
                    return Long.parseLong(l.substring(field.length() + 1).replace("kB", "").trim());
            }
        } catch (Exception e) {
            log("cannot read " + field + ": " + e);
        }
        return -1;
    }

    public boolean alive() {
        try { return Files.exists(Paths.get("/proc", pid())); } catch (Exception e) { return false; }
    }

    /** Closes c on another thread, giving up after 5 s (the broker may be gone). */
    public static void closeQuietly(Connection c) {
        if (c == null) return;
        Thread t = new Thread(() -> {
            try { c.close(); } catch (Exception e) { /* the broker is gone */ }
        }, "close");
        t.setDaemon(true);
        t.start();
        try { t.join(5000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }
}
