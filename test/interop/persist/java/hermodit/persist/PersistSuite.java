package hermodit.persist;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import hermodit.Suite;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.ResourceAllocationException;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.Topic;
import javax.jms.TopicSubscriber;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSession;

/**
 * Persistence interop suite (issue 4): what a Java JMS user sees of the store across graceful
 * restarts (SIGTERM) and crashes (kill -9) of the broker, which this JVM triggers through
 * common/brokerctl.sh. Every test uses destinations of its own (it.<test>.<run>).
 */
public final class PersistSuite {
    static final String PORT = System.getProperty("it.port", "62700");
    static final String DIR = System.getProperty("it.brokerDir");
    static final String CTL = System.getProperty("it.ctl");
    static final boolean REF = "1".equals(System.getProperty("it.ref"));
    static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    static final String BODY = "persist h\u00e9llo \u65e5\u672c\u8a9e ";

    /**
     * Client options every test uses: acks are sent synchronously (so a returned acknowledge()
     * means the broker answered it), sends are synchronous, the client never moves a message to
     * a DLQ on its own however often it comes back, no failover (a crash must be visible).
     */
    static final String SYNC = "jms.sendAcksAsync=false&jms.alwaysSyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=-1";

    static ActiveMQConnectionFactory cf(String options) {
        // it.clientOptions (IT_CLIENT_OPTIONS in run.sh) comes last and wins: a self-check of the
        // suite, e.g. jms.sendAcksAsync=true must make the crash harness see acked messages again.
        String extra = System.getProperty("it.clientOptions", "");
        String url = "tcp://127.0.0.1:" + PORT + "?connectionTimeout=5000&" + SYNC + (options.isEmpty() ? "" : "&" + options)
                + (extra.isEmpty() ? "" : "&" + extra);
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        f.setCloseTimeout(3000);
        f.setConnectResponseTimeout(10000);
        return f;
    }

    static String name(String test) { return "it." + test + "." + RUN; }

    static ActiveMQConnection open(String options) throws JMSException {
        ActiveMQConnection c = (ActiveMQConnection) cf(options).createConnection();
        c.start();
        return c;
    }

    static ActiveMQConnection openWithId(String clientId) throws JMSException {
        ActiveMQConnection c = (ActiveMQConnection) cf("").createConnection();
        c.setClientID(clientId);
        c.start();
        return c;
    }

    /** Closes on another thread with a bound: a connection whose broker died may hang in close. */
    static void closeQuietly(Connection c) {
        if (c == null) return;
        Thread t = new Thread(() -> {
            try { c.close(); } catch (Exception e) { /* the broker is gone; nothing to report */ }
        }, "close");
        t.setDaemon(true);
        t.start();
        try { t.join(5000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    // ---------------------------------------------------------------- broker control

    static boolean portOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(PORT)), 500);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Runs brokerctl.sh DIR cmd (stop, kill9, start, restart, crash); fails the test if it fails. */
    static void broker(String cmd) throws Exception {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder("bash", CTL, DIR, cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(new java.io.File(DIR, "brokerctl.log")));
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("brokerctl " + cmd + " did not finish within 90 s");
        }
        check(p.exitValue() == 0, "brokerctl " + cmd + " failed (exit " + p.exitValue() + ", see " + DIR + "/brokerctl.log)");
        log("broker " + cmd + " took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /** A test that was abandoned mid-restart may leave the broker down: bring it back first. */
    static void ensureUp() throws Exception {
        if (!portOpen()) broker("start");
    }

    /** "restart" (SIGTERM, then start) or "crash" (kill -9, then start). */
    static void bounce(String mode) throws Exception { broker(mode); }

    // ---------------------------------------------------------------- message helpers

    /** The exact message producer p sends as its n-th: mostly text, every 7th a BytesMessage. */
    static Message make(Session s, int p, int n) throws JMSException {
        Message m;
        if (n % 7 == 3) {
            BytesMessage b = s.createBytesMessage();
            b.writeBytes(bytesFor(p, n));
            m = b;
        } else {
            m = s.createTextMessage(BODY + p + "-" + n);
        }
        m.setIntProperty("p", p);
        m.setIntProperty("n", n);
        m.setStringProperty("tag", "t" + p + "." + n);
        m.setJMSType("type" + (n % 3));
        return m;
    }

    static byte[] bytesFor(int p, int n) {
        byte[] b = new byte[(n * 131 + p) % 3000 + 1];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 31 + n + p);
        return b;
    }

    /** Checks m is exactly what make(p, n) sent. */
    static void checkContent(Message m, int p, int n) throws JMSException {
        String where = "message p=" + p + " n=" + n;
        eq("t" + p + "." + n, m.getStringProperty("tag"), where + " tag");
        eq("type" + (n % 3), m.getJMSType(), where + " JMSType");
        eq(DeliveryMode.PERSISTENT, m.getJMSDeliveryMode(), where + " delivery mode");
        if (n % 7 == 3) {
            check(m instanceof BytesMessage, where + " should be a BytesMessage, is " + m.getClass().getSimpleName());
            BytesMessage b = (BytesMessage) m;
            byte[] got = new byte[(int) b.getBodyLength()];
            b.readBytes(got);
            eq(bytesFor(p, n), got, where + " body");
        } else {
            check(m instanceof TextMessage, where + " should be a TextMessage, is " + m.getClass().getSimpleName());
            eq(BODY + p + "-" + n, ((TextMessage) m).getText(), where + " body");
        }
    }

    static String key(Message m) throws JMSException {
        return m.getIntProperty("p") + ":" + m.getIntProperty("n");
    }

    /** Receives until nothing arrives for quietMs; returns what came, in order. */
    static List<Message> drain(MessageConsumer c, long quietMs) throws JMSException {
        List<Message> got = new ArrayList<>();
        for (Message m; (m = c.receive(got.isEmpty() ? Math.max(quietMs, 10_000) : quietMs)) != null; ) got.add(m);
        return got;
    }

    public static void main(String[] args) {
        Suite s = new Suite(60);
        s.add("restart_graceful_persistent", () -> restartPersistent("restart"));
        s.add("restart_kill9_persistent", () -> restartPersistent("crash"));
        s.add("nonpersistent_lost_graceful", () -> nonPersistentLost("restart"));
        s.add("nonpersistent_lost_kill9", () -> nonPersistentLost("crash"));
        s.add("acked_gone_after_kill9", PersistSuite::ackedGoneAfterKill9);
        s.add("durable_sub_graceful", () -> durableBacklog("restart"));
        s.add("durable_sub_kill9", () -> durableBacklog("crash"));
        s.add("durable_unsubscribe", PersistSuite::durableUnsubscribe);
        s.add("crash_harness", 600, () -> CrashHarness.run(PersistSuite::broker));
        s.add("store_limit_send_fails", 90, PersistSuite::storeLimit);
        s.add("store_limit_producer_blocks", 90, PersistSuite::storeLimitBlocks);
        if (args.length > 0 && args[0].equals("--list")) System.exit(s.run(args));
        try {
            ActiveMQConnection probe = open("");
            probe.createSession(false, Session.AUTO_ACKNOWLEDGE).close();
            probe.close();
        } catch (Exception e) {
            s.failAll(args, "cannot open a JMS connection to the broker: " + e);
            System.exit(1);
        }
        int failed = s.run(args);
        System.exit(failed == 0 ? 0 : 1);
    }

    // ------------------------------------------------------------------ tests

    /**
     * 3 producers x 60 persistent messages (text and bytes, properties, JMSType) on one queue.
     * Before the restart a CLIENT_ACK consumer acks the first 6 (sync) and holds 9 more delivered
     * but unacked, its connection left open across the restart. After it: exactly the other 174,
     * each once, byte-exact, per-producer order; the 9 held ones included; never-delivered ones
     * not flagged redelivered.
     */
    static void restartPersistent(String mode) throws Exception {
        ensureUp();
        String q = name("restart_" + mode);
        final int producers = 3, per = 60, acked = 6, held = 9;
        ActiveMQConnection pc = open("");
        Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        List<MessageProducer> prods = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            MessageProducer mp = pc.createSession(false, Session.AUTO_ACKNOWLEDGE).createProducer(ps.createQueue(q));
            mp.setDeliveryMode(DeliveryMode.PERSISTENT);
            prods.add(mp);
        }
        for (int n = 0; n < per; n++)
            for (int p = 0; p < producers; p++) prods.get(p).send(make(ps, p, n));
        pc.close();

        ActiveMQConnection cc = open("jms.prefetchPolicy.all=5");
        Session cs = cc.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer c = cs.createConsumer(cs.createQueue(q));
        List<String> ackedKeys = new ArrayList<>(), heldKeys = new ArrayList<>();
        for (int i = 0; i < acked; i++) {
            Message m = c.receive(10_000);
            check(m != null, "message " + i + " before restart");
            ackedKeys.add(key(m));
            if (i == acked - 1) m.acknowledge();
        }
        for (int i = 0; i < held; i++) {
            Message m = c.receive(10_000);
            check(m != null, "held message " + i + " before restart");
            heldKeys.add(key(m));
        }
        // Queue order: p0:0 p1:0 p2:0 p0:1 ... so the first 15 are known.
        List<String> first = new ArrayList<>();
        for (int i = 0; i < acked + held; i++) first.add((i % producers) + ":" + (i / producers));
        List<String> before = new ArrayList<>(ackedKeys);
        before.addAll(heldKeys);
        eq(first, before, "delivery order before the restart");

        bounce(mode);
        closeQuietly(cc);

        ActiveMQConnection rc = open("");
        try {
            Session rs = rc.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            List<Message> got = drain(rs.createConsumer(rs.createQueue(q)), 2000);
            Map<Integer, Integer> next = new HashMap<>();
            for (int p = 0; p < producers; p++) next.put(p, 0);
            next.put(0, acked / producers);
            next.put(1, acked / producers);
            next.put(2, acked / producers);
            List<String> redeliveredHeld = new ArrayList<>();
            for (Message m : got) {
                int p = m.getIntProperty("p"), n = m.getIntProperty("n");
                check(!ackedKeys.contains(key(m)), "acked message " + key(m) + " came back after " + mode);
                eq(next.get(p), n, "next message of producer " + p + " (order, no loss, no duplicate)");
                next.put(p, n + 1);
                checkContent(m, p, n);
                if (heldKeys.contains(key(m))) {
                    if (m.getJMSRedelivered()) redeliveredHeld.add(key(m));
                } else {
                    check(!m.getJMSRedelivered(), "never-delivered message " + key(m) + " flagged JMSRedelivered");
                }
            }
            eq(producers * per - acked, got.size(), "messages after " + mode);
            log("held-but-unacked messages flagged redelivered after " + mode + ": " + redeliveredHeld.size() + " of " + held);
            got.get(got.size() - 1).acknowledge();
        } finally {
            rc.close();
        }
    }

    /**
     * 10 non-persistent and 10 persistent messages interleaved on one queue, nobody consuming;
     * after the restart exactly the 10 persistent ones are there (the reference drops
     * non-persistent queue messages on restart too).
     */
    static void nonPersistentLost(String mode) throws Exception {
        ensureUp();
        String q = name("np_" + mode);
        ActiveMQConnection pc = open("");
        Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer mp = ps.createProducer(ps.createQueue(q));
        for (int n = 0; n < 20; n++) {
            mp.setDeliveryMode(n % 2 == 0 ? DeliveryMode.NON_PERSISTENT : DeliveryMode.PERSISTENT);
            Message m = ps.createTextMessage("np " + n);
            m.setIntProperty("n", n);
            mp.send(m);
        }
        pc.close();
        bounce(mode);
        ActiveMQConnection rc = open("");
        try {
            Session rs = rc.createSession(false, Session.AUTO_ACKNOWLEDGE);
            List<Message> got = drain(rs.createConsumer(rs.createQueue(q)), 1500);
            List<Integer> ns = new ArrayList<>();
            for (Message m : got) ns.add(m.getIntProperty("n"));
            eq(Arrays.asList(1, 3, 5, 7, 9, 11, 13, 15, 17, 19), ns, "messages left after " + mode);
            for (Message m : got) eq("np " + m.getIntProperty("n"), ((TextMessage) m).getText(), "body");
        } finally {
            rc.close();
        }
    }

    /**
     * Three queues of 40 persistent messages each; with sync acks: CLIENT_ACK acks the first 15,
     * INDIVIDUAL_ACK acks 0,2,4,...,18 of the first 20 received, AUTO_ACK receives 12. Then
     * kill -9 at once. After restart each queue holds exactly the unacked rest, in order.
     */
    static void ackedGoneAfterKill9() throws Exception {
        ensureUp();
        String q1 = name("ack_client"), q2 = name("ack_indiv"), q3 = name("ack_auto");
        ActiveMQConnection pc = open("");
        Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        for (String q : new String[] {q1, q2, q3}) {
            MessageProducer mp = ps.createProducer(ps.createQueue(q));
            mp.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int n = 0; n < 40; n++) mp.send(make(ps, 0, n));
        }
        pc.close();

        ActiveMQConnection cc = open("jms.prefetchPolicy.all=10");
        Session s1 = cc.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer c1 = s1.createConsumer(s1.createQueue(q1));
        Message last = null;
        for (int i = 0; i < 15; i++) { last = c1.receive(10_000); check(last != null, "q1 message " + i); }
        last.acknowledge();
        Session s2 = cc.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
        MessageConsumer c2 = s2.createConsumer(s2.createQueue(q2));
        for (int i = 0; i < 20; i++) {
            Message m = c2.receive(10_000);
            check(m != null, "q2 message " + i);
            eq(i, m.getIntProperty("n"), "q2 order");
            if (i % 2 == 0) m.acknowledge();
        }
        Session s3 = cc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer c3 = s3.createConsumer(s3.createQueue(q3));
        for (int i = 0; i < 12; i++) check(c3.receive(10_000) != null, "q3 message " + i);

        broker("crash");
        closeQuietly(cc);

        List<Integer> want1 = new ArrayList<>(), want2 = new ArrayList<>(), want3 = new ArrayList<>();
        for (int n = 15; n < 40; n++) want1.add(n);
        for (int n = 1; n < 40; n++) if (n >= 20 || n % 2 == 1) want2.add(n);
        for (int n = 12; n < 40; n++) want3.add(n);
        ActiveMQConnection rc = open("");
        try {
            Session rs = rc.createSession(false, Session.AUTO_ACKNOWLEDGE);
            String[] qs = {q1, q2, q3};
            List<List<Integer>> wants = Arrays.asList(want1, want2, want3);
            for (int i = 0; i < 3; i++) {
                List<Integer> ns = new ArrayList<>();
                for (Message m : drain(rs.createConsumer(rs.createQueue(qs[i])), 1500)) {
                    ns.add(m.getIntProperty("n"));
                    checkContent(m, 0, m.getIntProperty("n"));
                }
                eq(wants.get(i), ns, qs[i] + " after kill -9");
            }
        } finally {
            rc.close();
        }
    }

    /**
     * A durable subscriber receives 3 messages online, goes offline; 25 persistent messages are
     * published; broker restart (or crash). Reconnected under the same client ID and name it gets
     * exactly the 25 in order, nothing else; after it acked them a second restart/crash
     * brings nothing back, and a new publish reaches it.
     */
    static void durableBacklog(String mode) throws Exception {
        ensureUp();
        String t = name("dur_" + mode), id = "it-dur-" + mode + "-" + RUN;
        ActiveMQConnection c = openWithId(id);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Topic topic = s.createTopic(t);
        TopicSubscriber sub = s.createDurableSubscriber(topic, "sub1");
        MessageProducer mp = s.createProducer(topic);
        mp.setDeliveryMode(DeliveryMode.PERSISTENT);
        for (int n = 0; n < 3; n++) mp.send(make(s, 0, n));
        for (int n = 0; n < 3; n++) {
            Message m = sub.receive(10_000);
            check(m != null, "online message " + n);
            eq(n, m.getIntProperty("n"), "online order");
        }
        c.close();
        ActiveMQConnection pc = open("");
        Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer pp = ps.createProducer(ps.createTopic(t));
        pp.setDeliveryMode(DeliveryMode.PERSISTENT);
        for (int n = 3; n < 28; n++) pp.send(make(ps, 0, n));
        pc.close();

        bounce(mode);

        c = openWithId(id);
        try {
            s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            sub = s.createDurableSubscriber(s.createTopic(t), "sub1");
            List<Integer> ns = new ArrayList<>();
            for (Message m : drain(sub, 1500)) {
                ns.add(m.getIntProperty("n"));
                checkContent(m, 0, m.getIntProperty("n"));
            }
            List<Integer> want = new ArrayList<>();
            for (int n = 3; n < 28; n++) want.add(n);
            eq(want, ns, "backlog after " + mode);
            c.close();
        } finally {
            closeQuietly(c);
        }

        bounce(mode);

        c = openWithId(id);
        try {
            s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            sub = s.createDurableSubscriber(s.createTopic(t), "sub1");
            Message m = sub.receive(1500);
            check(m == null, "acked backlog came back after the second " + mode + ": " + m);
            mp = s.createProducer(s.createTopic(t));
            mp.setDeliveryMode(DeliveryMode.PERSISTENT);
            mp.send(make(s, 0, 99));
            m = sub.receive(10_000);
            check(m != null, "new message after the second " + mode);
            eq(99, m.getIntProperty("n"), "new message");
            sub.close();
            s.unsubscribe("sub1");
        } finally {
            closeQuietly(c);
        }
    }

    /**
     * A durable subscription with a 10-message backlog is unsubscribed: a new subscription of
     * the same name gets none of them, before and after a restart, and only new messages.
     */
    static void durableUnsubscribe() throws Exception {
        ensureUp();
        String t = name("dur_unsub"), id = "it-dur-unsub-" + RUN;
        ActiveMQConnection c = openWithId(id);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        s.createDurableSubscriber(s.createTopic(t), "sub1").close();
        MessageProducer mp = s.createProducer(s.createTopic(t));
        mp.setDeliveryMode(DeliveryMode.PERSISTENT);
        for (int n = 0; n < 10; n++) mp.send(make(s, 0, n));
        // A second subscription keeps its own backlog: unsubscribing sub1 must not touch it.
        s.createDurableSubscriber(s.createTopic(t), "sub2").close();
        mp.send(make(s, 0, 10));
        s.unsubscribe("sub1");
        c.close();

        bounce("restart");

        c = openWithId(id);
        try {
            s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TopicSubscriber sub1 = s.createDurableSubscriber(s.createTopic(t), "sub1");
            Message m = sub1.receive(1500);
            check(m == null, "unsubscribed backlog reached the new sub1 after restart: " + m);
            TopicSubscriber sub2 = s.createDurableSubscriber(s.createTopic(t), "sub2");
            m = sub2.receive(10_000);
            check(m != null, "sub2 lost its backlog");
            eq(10, m.getIntProperty("n"), "sub2 backlog");
            check(sub2.receive(500) == null, "sub2 has more than its backlog");
            mp = s.createProducer(s.createTopic(t));
            mp.setDeliveryMode(DeliveryMode.PERSISTENT);
            mp.send(make(s, 0, 50));
            m = sub1.receive(10_000);
            check(m != null && m.getIntProperty("n") == 50, "new message to the new sub1: " + m);
            check(sub1.receive(500) == null, "sub1 got more than the new message");
            sub1.close();
            sub2.close();
            s.unsubscribe("sub1");
            s.unsubscribe("sub2");
            // Unsubscribing an active or unknown name is refused; here the name is gone.
            final Session us = s;
            Suite.expectThrows(javax.jms.InvalidDestinationException.class, "unsubscribe unknown name",
                    () -> us.unsubscribe("sub1"));
        } finally {
            closeQuietly(c);
        }
    }

    /**
     * Runs only against a broker started with a 1 MB store limit and sendFailIfNoSpace (run.sh
     * starts a second broker for it): 10 KB persistent messages until the send fails with
     * javax.jms.ResourceAllocationException, between 10 and 120 fitting; a consumer drains exactly
     * them in order; then sending works again (within 20 s) and the new messages arrive.
     */
    static void storeLimit() throws Exception {
        check(Boolean.getBoolean("it.storeLimited"), "this test needs the store-limited broker (run.sh starts it)");
        ensureUp();
        String q = name("store_limit");
        byte[] body = new byte[10 * 1024];
        for (int i = 0; i < body.length; i++) body[i] = (byte) i;
        ActiveMQConnection pc = open("");
        int sent = 0;
        ResourceAllocationException rae = null;
        try {
            Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer mp = ps.createProducer(ps.createQueue(q));
            mp.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (; sent < 400; sent++) {
                BytesMessage m = ps.createBytesMessage();
                m.writeBytes(body);
                m.setIntProperty("n", sent);
                try {
                    mp.send(m);
                } catch (ResourceAllocationException e) {
                    rae = e;
                    break;
                }
            }
            check(rae != null, "400 messages of 10 KB (4 MB) accepted under a 1 MB store limit");
            log("store full after " + sent + " messages: " + rae.getMessage());
            check(sent >= 10 && sent <= 120, sent + " messages of 10 KB fitted in a 1 MB store");
            check(pc.isStarted() && !pc.isClosed() && !pc.isTransportFailed(), "connection still usable after the refusal");
            // A second send is refused too, the connection stays.
            BytesMessage again = ps.createBytesMessage();
            again.writeBytes(body);
            Suite.expectThrows(ResourceAllocationException.class, "second send into a full store", () -> mp.send(again));

            ActiveMQConnection cc = open("");
            try {
                Session cs = cc.createSession(false, Session.AUTO_ACKNOWLEDGE);
                List<Message> got = drain(cs.createConsumer(cs.createQueue(q)), 1500);
                eq(sent, got.size(), "messages drained");
                for (int i = 0; i < got.size(); i++) eq(i, got.get(i).getIntProperty("n"), "drain order");
            } finally {
                cc.close();
            }
            long deadline = System.currentTimeMillis() + 20_000;
            int extra = 0;
            while (extra < 5) {
                BytesMessage m = ps.createBytesMessage();
                m.writeBytes(body);
                m.setIntProperty("n", 1000 + extra);
                try {
                    mp.send(m);
                    extra++;
                } catch (ResourceAllocationException e) {
                    check(System.currentTimeMillis() < deadline, "store still full 20 s after it was drained: " + e.getMessage());
                    Thread.sleep(500);
                }
            }
            cc = open("");
            try {
                Session cs = cc.createSession(false, Session.AUTO_ACKNOWLEDGE);
                List<Message> got = drain(cs.createConsumer(cs.createQueue(q)), 1500);
                List<Integer> ns = new ArrayList<>();
                for (Message m : got) ns.add(m.getIntProperty("n"));
                eq(Arrays.asList(1000, 1001, 1002, 1003, 1004), ns, "messages sent after the drain");
            } finally {
                cc.close();
            }
        } finally {
            closeQuietly(pc);
        }
    }

    /**
     * Runs only against a broker with a 1 MB store limit and no sendFailIfNoSpace (run.sh starts
     * a third broker for it): a producer of 200 persistent 10 KB messages must stall (no send
     * returns for 3 s, fewer than 120 sent); once a consumer takes messages the producer
     * completes, and the consumer gets all 200 exactly once, in order.
     */
    static void storeLimitBlocks() throws Exception {
        check(Boolean.getBoolean("it.storeBlocking"), "this test needs the store-limited blocking broker (run.sh starts it)");
        ensureUp();
        String q = name("store_block");
        final int total = 200;
        byte[] body = new byte[10 * 1024];
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        ActiveMQConnection pc = open("");
        Thread producer = new Thread(() -> {
            try {
                Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageProducer mp = ps.createProducer(ps.createQueue(q));
                mp.setDeliveryMode(DeliveryMode.PERSISTENT);
                for (int n = 0; n < total; n++) {
                    BytesMessage m = ps.createBytesMessage();
                    m.writeBytes(body);
                    m.setIntProperty("n", n);
                    mp.send(m);
                    sent.incrementAndGet();
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "blocked-producer");
        producer.setDaemon(true);
        ActiveMQConnection cc = null;
        try {
            producer.start();
            // Wait until the producer stalls: no progress for 3 s.
            int last = -1;
            long stallSince = System.currentTimeMillis();
            while (System.currentTimeMillis() - stallSince < 3000) {
                int now = sent.get();
                if (now != last) { last = now; stallSince = System.currentTimeMillis(); }
                check(producer.isAlive(), "producer ended without blocking after " + sent.get() + " sends: " + failure.get());
                Thread.sleep(100);
            }
            int stalledAt = sent.get();
            log("producer stalled after " + stalledAt + " sends");
            check(failure.get() == null, "send failed instead of blocking: " + failure.get());
            check(stalledAt >= 10 && stalledAt <= 120, stalledAt + " messages of 10 KB before the producer stalled under a 1 MB limit");
            cc = open("");
            Session cs = cc.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer c = cs.createConsumer(cs.createQueue(q));
            List<Integer> got = new ArrayList<>();
            for (Message m; (m = c.receive(got.size() < total ? 20_000 : 1000)) != null; ) got.add(m.getIntProperty("n"));
            producer.join(5000);
            check(failure.get() == null, "producer failed after the drain: " + failure.get());
            eq(total, sent.get(), "sends completed after the consumer made room");
            List<Integer> want = new ArrayList<>();
            for (int n = 0; n < total; n++) want.add(n);
            eq(want, got, "messages received");
        } finally {
            closeQuietly(cc);
            closeQuietly(pc);
        }
    }
}
