package hermodit.tx;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Asks run.sh (which owns the broker process) to kill -9 the broker and start it again on the
 * same data directory. Why through two FIFOs: the shell keeps the broker's pid and start-up
 * recipe (hermod or the reference), so the JVM never needs to know which broker it judges.
 */
public final class BrokerControl {
    private static OutputStream req;
    private static BufferedReader resp;

    private BrokerControl() { }

    /** Returns after the broker is listening again; throws if run.sh says it did not come back. */
    public static synchronized void crashAndRestart() throws IOException {
        String reqPath = System.getProperty("it.ctlReq");
        String respPath = System.getProperty("it.ctlResp");
        if (reqPath == null || respPath == null) throw new IOException("no broker control FIFOs (it.ctlReq/it.ctlResp)");
        if (req == null) {
            req = new FileOutputStream(reqPath);
            resp = new BufferedReader(new InputStreamReader(new FileInputStream(respPath), StandardCharsets.UTF_8));
        }
        long t0 = System.nanoTime();
        req.write("crash\n".getBytes(StandardCharsets.UTF_8));
        req.flush();
        String line = resp.readLine();
        if (!"ok".equals(line)) throw new IOException("broker did not come back after kill -9: " + line);
        System.err.println("    broker killed (-9) and restarted in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }
}
