package hermod.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TemporaryQueue;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.command.ActiveMQQueue;

/**
 * Start-up with a full store (project issue 4), in two halves that compare.sh puts around a
 * broker restart:
 *
 *   Startup fill  --url U --queue Q --count N [--producers P] [--batch B] [--size S] [--out F]
 *     fills Q with N persistent messages as fast as JMS allows: P connections, each sending
 *     in local transactions of B messages (sends inside a transaction are asynchronous; the
 *     commit waits for the store). Prints progress once a second.
 *
 *   Startup probe --url U --queue Q --ready F --out F [--timeout S]
 *     started before the broker: warms up the JVM, writes F (--ready) so the caller knows it
 *     is listening, then polls the port every 5 ms. Records, as epoch milliseconds, when the
 *     port first accepted a TCP connection, when a JMS connection first succeeded (retried
 *     every 10 ms) and when the first message of Q arrived, then asks the
 *     broker's statistics plugin (ActiveMQ.Statistics.Destination.Q) how many messages Q holds,
 *     while the first one is still unacknowledged, so the count is the whole store.
 *
 *   Startup drain --url U --queue Q --count N [--out F] [--timeout S]
 *     receives N messages of Q on one consumer (auto acknowledge, the client's default
 *     prefetch of 1000) and reports the rate: how fast a deep backlog empties (issue 14).
 *
 * Why epoch milliseconds: compare.sh launches the broker and measures from that instant; the
 * probe's JVM start must not be charged to the broker, so the probe is up before the launch and
 * both sides use the same wall clock.
 */
public final class Startup {
    private Startup() {
    }

    static final String USAGE = String.join("\n",
        "usage: Startup fill  --url URL --queue Q --count N [--producers P] [--batch B] [--size BYTES] [--out FILE]",
        "       Startup probe --url URL --queue Q --ready FILE --out FILE [--timeout SECONDS]",
        "       Startup drain --url URL --queue Q --count N [--out FILE] [--timeout SECONDS]");

    public static void main(String[] a) throws Exception {
        System.exit(run(a));
    }

    static int run(String[] a) throws Exception {
        if (a.length < 1 || !(a[0].equals("fill") || a[0].equals("probe") || a[0].equals("drain"))) {
            System.err.println(USAGE);
            return 2;
        }
        String url = null, queue = null, out = null, ready = null;
        long count = 0;
        int producers = 4, batch = 500, size = 150;
        double timeout = 600;
        try {
            for (int i = 1; i < a.length; i++) {
                switch (a[i]) {
                    case "--url": url = a[++i]; break;
                    case "--queue": queue = a[++i]; break;
                    case "--count": count = Bench.posInt(a[++i], a[i - 1]); break;
                    case "--producers": producers = Bench.posInt(a[++i], a[i - 1]); break;
                    case "--batch": batch = Bench.posInt(a[++i], a[i - 1]); break;
                    case "--size": size = Bench.posInt(a[++i], a[i - 1]); break;
                    case "--out": out = a[++i]; break;
                    case "--ready": ready = a[++i]; break;
                    case "--timeout": timeout = Bench.posDouble(a[++i], a[i - 1]); break;
                    default: throw new IllegalArgumentException("unknown option " + a[i]);
                }
            }
        } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
            System.err.println((e.getMessage() == null ? "missing value" : e.getMessage()) + "\n" + USAGE);
            return 2;
        }
        if (url == null || queue == null || (!a[0].equals("probe") && count == 0)
            || (a[0].equals("probe") && (ready == null || out == null))) {
            System.err.println(USAGE);
            return 2;
        }
        if (a[0].equals("drain")) {
            return drain(url, queue, count, out, timeout);
        }
        return a[0].equals("fill") ? fill(url, queue, count, producers, batch, size, out)
                                   : probe(url, queue, ready, out, timeout);
    }

    static ActiveMQConnectionFactory factory(String url) {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        f.setWatchTopicAdvisories(false);
        return f;
    }

    static int fill(String url, String queue, long count, int producers, int batch, int size, String out)
            throws Exception {
        AtomicLong done = new AtomicLong();
        List<String> errors = new ArrayList<>();
        List<Thread> ts = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int p = 0; p < producers; p++) {
            long share = count / producers + (p < count % producers ? 1 : 0);
            final int id = p;
            Thread t = new Thread(() -> {
                try {
                    Connection c = factory(url).createConnection();
                    c.start();
                    Session s = c.createSession(true, Session.SESSION_TRANSACTED);
                    MessageProducer mp = s.createProducer(new ActiveMQQueue(queue));
                    mp.setDeliveryMode(DeliveryMode.PERSISTENT);
                    byte[] body = new byte[size];
                    for (int i = 0; i < body.length; i++) {
                        body[i] = (byte) ('a' + (i + id) % 26);
                    }
                    long inTx = 0;
                    for (long k = 0; k < share; k++) {
                        BytesMessage m = s.createBytesMessage();
                        m.writeBytes(body);
                        m.setIntProperty("producer", id);
                        m.setLongProperty("seq", k);
                        mp.send(m);
                        if (++inTx == batch || k == share - 1) {
                            s.commit();
                            done.addAndGet(inTx);
                            inTx = 0;
                        }
                    }
                    c.close();
                } catch (Exception e) {
                    synchronized (errors) {
                        errors.add("producer " + id + ": " + e);
                    }
                }
            }, "fill-" + p);
            t.start();
            ts.add(t);
        }
        long next = t0 + 1_000_000_000L, last = 0;
        while (ts.stream().anyMatch(Thread::isAlive)) {
            Flow.sleep(50);
            long now = System.nanoTime();
            if (now >= next) {
                long d = done.get();
                System.err.printf(Locale.ROOT, "[%4.0fs fill] %d of %d committed (+%d/s)%n", (now - t0) / 1e9, d, count, d - last);
                last = d;
                next += 1_000_000_000L;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, String> res = new LinkedHashMap<>();
        res.put("status", errors.isEmpty() && done.get() == count ? "ok" : "error");
        res.put("fill_messages", Long.toString(done.get()));
        res.put("fill_s", String.format(Locale.ROOT, "%.1f", secs));
        res.put("fill_rate", String.format(Locale.ROOT, "%.0f", done.get() / secs));
        if (!errors.isEmpty()) {
            res.put("error", errors.get(0).replace('\n', ' '));
        }
        System.out.printf(Locale.ROOT, "filled %d of %d persistent messages (%d B) into %s in %.1f s = %.0f msg/s (%d producers, transactions of %d)%n",
            done.get(), count, size, queue, secs, done.get() / secs, producers, batch);
        for (String e : errors) {
            System.out.println("error: " + e);
        }
        Bench.write(out, res);
        return res.get("status").equals("ok") ? 0 : 1;
    }

    static int drain(String url, String queue, long count, String out, double timeout) throws Exception {
        Map<String, String> res = new LinkedHashMap<>();
        Connection c = factory(url).createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer mc = s.createConsumer(new ActiveMQQueue(queue));
        long t0 = System.nanoTime(), deadline = t0 + (long) (timeout * 1e9), got = 0, last = 0;
        long next = t0 + 1_000_000_000L;
        while (got < count && System.nanoTime() < deadline) {
            if (mc.receive(1000) != null) {
                got++;
            }
            long now = System.nanoTime();
            if (now >= next) {
                System.err.printf(Locale.ROOT, "[%4.0fs drain] %d of %d received (+%d/s)%n", (now - t0) / 1e9, got, count, got - last);
                last = got;
                next += 1_000_000_000L;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        c.close();
        res.put("status", got == count ? "ok" : "incomplete");
        res.put("drain_messages", Long.toString(got));
        res.put("drain_s", String.format(Locale.ROOT, "%.1f", secs));
        res.put("drain_rate", String.format(Locale.ROOT, "%.0f", got / secs));
        System.out.printf(Locale.ROOT, "drained %d of %d messages from %s in %.1f s = %.0f msg/s%n", got, count, queue, secs, got / secs);
        Bench.write(out, res);
        return got == count ? 0 : 1;
    }

    static int probe(String url, String queue, String ready, String out, double timeout) throws Exception {
        Map<String, String> res = new LinkedHashMap<>();
        // Load and exercise the client classes before the broker exists, so that the times
        // below are the broker's and not this JVM's class loading.
        ActiveMQConnectionFactory f = factory(url + (url.contains("?") ? "&" : "?") + "connectionTimeout=2000");
        ActiveMQPrefetchPolicy pp = new ActiveMQPrefetchPolicy();
        pp.setAll(1);
        f.setPrefetchPolicy(pp);
        try {
            f.createConnection().start();
            System.err.println("probe: something already listens on " + url);
            res.put("status", "error");
            res.put("error", "port already in use before the broker started");
            Bench.write(out, res);
            return 1;
        } catch (Exception expected) {
            // nothing listens yet: that is the point
        }
        new ActiveMQQueue(queue).getPhysicalName();
        Files.write(Paths.get(ready), "ready\n".getBytes(StandardCharsets.UTF_8));
        long deadline = System.currentTimeMillis() + (long) (timeout * 1000);
        // First the bare port (what "listening" means for any server), then JMS on top.
        java.net.URI u = new java.net.URI(url);
        boolean listening = false;
        while (!listening && System.currentTimeMillis() < deadline) {
            try (java.net.Socket so = new java.net.Socket()) {
                so.connect(new java.net.InetSocketAddress(u.getHost(), u.getPort()), 1000);
                listening = true;
            } catch (IOException e) {
                Flow.sleep(5);
            }
        }
        res.put("listen_epoch_ms", Long.toString(System.currentTimeMillis()));
        Connection c = null;
        int attempts = 0;
        while (c == null && System.currentTimeMillis() < deadline) {
            attempts++;
            try {
                Connection x = f.createConnection();
                x.start();
                c = x;
            } catch (Exception e) {
                Flow.sleep(10);
            }
        }
        if (c == null) {
            res.put("status", "error");
            res.put("error", "no connection within " + timeout + " s");
            Bench.write(out, res);
            return 1;
        }
        long connected = System.currentTimeMillis();
        res.put("connect_epoch_ms", Long.toString(connected));
        res.put("connect_attempts", Integer.toString(attempts));
        Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer mc = s.createConsumer(new ActiveMQQueue(queue));
        Message first = null;
        while (first == null && System.currentTimeMillis() < deadline) {
            first = mc.receive(1000);
        }
        long firstAt = System.currentTimeMillis();
        if (first == null) {
            res.put("status", "error");
            res.put("error", "no message from " + queue + " within " + timeout + " s");
            Bench.write(out, res);
            c.close();
            return 1;
        }
        res.put("first_epoch_ms", Long.toString(firstAt));
        // The first message stays unacknowledged, so the broker's count is every stored message.
        long size = -1;
        try {
            Session ss = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue reply = ss.createTemporaryQueue();
            MessageConsumer rc = ss.createConsumer(reply);
            Queue stats = ss.createQueue("ActiveMQ.Statistics.Destination." + queue);
            Message q = ss.createMessage();
            q.setJMSReplyTo(reply);
            ss.createProducer(stats).send(q);
            Message r = rc.receive(30_000);
            if (r instanceof MapMessage) {
                size = ((MapMessage) r).getLong("size");
            }
        } catch (Exception e) {
            res.put("stats_error", e.toString().replace('\n', ' '));
        }
        res.put("stats_epoch_ms", Long.toString(System.currentTimeMillis()));
        res.put("queue_size", Long.toString(size));
        res.put("status", "ok");
        System.out.printf(Locale.ROOT, "probe: connected after %d attempts; first message; %s holds %d messages%n",
            attempts, queue, size);
        c.close();
        Bench.write(out, res);
        return 0;
    }
}
