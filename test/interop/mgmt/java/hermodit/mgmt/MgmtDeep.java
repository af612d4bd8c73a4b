package hermodit.mgmt;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;

/**
 * The API's copy and move of a queue much deeper than the broker's window (issue 14): the broker
 * walks the store a page at a time, so its resident memory does not grow with the queue; the
 * result is complete and in order, and a move's source loses the moved messages for good.
 */
final class MgmtDeep {
    private MgmtDeep() {}

    /** 20,000 x 1 KiB: five times the 4 MB window a queue keeps under run.sh's 64 MB limit. */
    static final int N = 20_000;

    static long rssAnonKb() {
        try {
            String pid = new String(Files.readAllBytes(Paths.get(MgmtSuite.DIR, "hermod.pid"))).trim();
            for (String l : Files.readAllLines(Paths.get("/proc", pid, "status")))
                if (l.startsWith("RssAnon:"))
                    return Long.parseLong(l.substring(8).replace("kB", "").trim());
        } catch (Exception e) {
            log("cannot read RssAnon: " + e);
        }
        return -1;
    }

    /** The API call, with the broker's RssAnon sampled every 50 ms while it runs: the peak. */
    static long peakDuring(String path, String expect) throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong peak = new AtomicLong(rssAnonKb());
        Thread t = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(rssAnonKb(), Math::max);
                try { Thread.sleep(50); } catch (InterruptedException e) { return; }
            }
        }, "rss");
        t.setDaemon(true);
        t.start();
        long t0 = System.nanoTime();
        MgmtSuite.Resp r;
        try {
            r = MgmtSuite.http("POST", path, null, "text/plain; charset=utf-8", true);
        } finally {
            done.set(true);
            t.join(1000);
        }
        log("POST " + path + ": " + r.status + " " + r.body.trim() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        check(r.status == 200 && r.body.contains(expect), "POST " + path + ": " + r);
        return Math.max(peak.get(), rssAnonKb());
    }

    static void fill(String queue) throws Exception {
        StringBuilder sb = new StringBuilder(1024);
        while (sb.length() < 1000) sb.append("deep queue body 0123456789 ");
        String body = sb.substring(0, 1000);
        Connection c = MgmtSuite.cf().createConnection();
        try {
            c.start();
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer p = s.createProducer(s.createQueue(queue));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < N; i++) {
                TextMessage m = s.createTextMessage(body);
                m.setIntProperty("i", i);
                p.send(m);
                if ((i + 1) % 500 == 0) s.commit();
            }
            s.commit();
        } finally {
            c.close();
        }
    }

    /** Receives queue whole; checks it is exactly i = from..from+n-1, in order. */
    static void inOrder(String queue, int from, int n) throws Exception {
        int[] next = { from };
        MgmtSuite.jms(s -> {
            MessageConsumer c = s.createConsumer(s.createQueue(queue));
            Message m;
            while ((m = c.receive(3000)) != null) {
                eq(next[0], m.getIntProperty("i"), queue + ": message order");
                next[0]++;
            }
        });
        eq(from + n, next[0], queue + ": messages received (from i=" + from + ")");
    }

    /** Bound on RssAnon growth during one call: the target's window (4 MB of messages, about
     * 9 MB resident) and a page or two of the source, with room for allocator slack.  Reading
     * the source in, as before, grows it by over 2 KB per message (40+ MB for the copy here). */
    static final long BOUND_KB = 24 * 1024;

    static void copyMoveDeep() throws Exception {
        String src = "MG.deep.src", copy = "MG.deep.copy", moved = "MG.deep.moved";
        fill(src);
        long base = rssAnonKb();
        long peakCopy = peakDuring("/api/copy" + MgmtSuite.q("from", src, "to", copy), "\"copied\":" + N);
        long base2 = rssAnonKb();
        long peakMove = peakDuring("/api/move" + MgmtSuite.q("from", src, "to", moved, "selector", "i >= " + N / 2),
                                   "\"moved\":" + N / 2);
        log("RssAnon before the copy " + base + " kB, peak while copying " + N + " x 1 KiB " + peakCopy
            + " kB; before the move " + base2 + " kB, peak while moving " + N / 2 + " " + peakMove
            + " kB (bound on each growth " + BOUND_KB + " kB)");
        /* AddressSanitizer keeps freed memory in quarantine: its resident memory is logged only */
        if (!System.getProperty("it.hermod", "").contains("asan")) {
            check(peakCopy - base < BOUND_KB, "copying grew RssAnon by " + (peakCopy - base) + " kB");
            check(peakMove - base2 < BOUND_KB, "moving grew RssAnon by " + (peakMove - base2) + " kB");
        }
        MgmtSuite.restart();
        inOrder(moved, N / 2, N / 2);
        inOrder(src, 0, N / 2);
        inOrder(copy, 0, N);
    }
}
