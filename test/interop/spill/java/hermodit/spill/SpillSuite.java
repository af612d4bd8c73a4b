package hermodit.spill;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.BrokerCtl.closeQuietly;
import static hermodit.Suite.log;

import hermodit.BrokerCtl;
import hermodit.Suite;
import java.io.File;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.ResourceAllocationException;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Spill interop suite (issue 14): what a user notices of non-persistent backlogs beyond the
 * memory limit (4 MB) on a broker whose temporary storage holds 20 MB.  A backlog fills without
 * holding its producer and drains in order with resident memory bounded; a full temporary
 * storage holds the producer until consumers make room, and refuses it after
 * sendFailIfNoSpaceAfterTimeout (10 s) with ActiveMQ's text; a topic's slow subscriber spills
 * while a fast one keeps receiving; a restart discards what was spilled.  Every test uses
 * destinations of its own (it.spill.<test>.<run>).
 */
public final class SpillSuite {
    static final String PORT = System.getProperty("it.port", "63450");
    static final String DIR = System.getProperty("it.brokerDir");
    static final String CTL = System.getProperty("it.ctl");
    static final boolean REF = "1".equals(System.getProperty("it.ref"));
    static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    /** 12,000 x 1 KiB: three times the memory limit, about 60 % of the temporary storage. */
    static final int N = 12000;
    static final String KIB;
    static {
        StringBuilder sb = new StringBuilder(1024);
        while (sb.length() < 1000) sb.append("spill body 0123456789 abcdefghijklmnopqrstuvwxyz ");
        KIB = sb.substring(0, 1000);
    }
    static final String SYNC = "jms.sendAcksAsync=false&jms.alwaysSyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=-1";

    static ActiveMQConnection open(String extra) throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(
                "tcp://127.0.0.1:" + PORT + "?connectionTimeout=5000&" + SYNC + extra);
        f.setCloseTimeout(3000);
        f.setConnectResponseTimeout(10000);
        ActiveMQConnection c = (ActiveMQConnection) f.createConnection();
        c.start();
        return c;
    }

    static ActiveMQConnection open() throws JMSException { return open(""); }

    static String name(String test) { return "it.spill." + test + "." + RUN; }

    static final BrokerCtl BROKER = new BrokerCtl(DIR, CTL, REF);

    static long procKb(String field) { return BROKER.procKb(field); }

    /**
     * What the broker's anonymous memory may grow by while it holds a non-persistent backlog of
     * `bytes` bodies, memory limit 4 MB: 24 MB (the limit, its temporary storage's 4 MB cache,
     * allocator slack), however deep.  Keeping the backlog in memory costs twice its size.
     */
    static final long BOUND_KB = 24 * 1024;

    /** n non-persistent 1 KiB messages (property n = from..) sent on another thread. */
    static final class Sending {
        final AtomicInteger sent = new AtomicInteger();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread t;

        Sending(Connection c, javax.jms.Destination d, int from, int n) {
            t = new Thread(() -> {
                try {
                    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                    MessageProducer p = s.createProducer(d);
                    p.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
                    for (int i = from; i < from + n; i++) {
                        TextMessage m = s.createTextMessage(KIB);
                        m.setIntProperty("n", i);
                        p.send(m);
                        sent.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            }, "sender");
            t.setDaemon(true);
            t.start();
        }

        /** Requires every send to be taken within 120 s (a producer held for ever fails here). */
        void completes(String what) throws InterruptedException {
            check(finishes(t, 120_000), what + ": the producer was held after " + sent.get() + " messages");
            check(failed.get() == null, what + ": the producer failed: " + failed.get());
        }
    }

    /** Waits for t at most ms; whether it finished. */
    static boolean finishes(Thread t, long ms) throws InterruptedException {
        t.join(ms);
        return !t.isAlive();
    }

    /** Receives exactly n with property n = from.. in order, then nothing within 500 ms. */
    static void drainInOrder(MessageConsumer mc, int from, int n, String what, Runnable every2000) throws JMSException {
        for (int i = 0; i < n; i++) {
            Message m = mc.receive(10000);
            check(m != null, what + ": got " + i + " of " + n);
            if (m.getIntProperty("n") != from + i)
                throw new AssertionError(what + ": message #" + i + " is n=" + m.getIntProperty("n") + ", expected " + (from + i));
            if (every2000 != null && i % 2000 == 0) every2000.run();
        }
        check(mc.receive(500) == null, what + ": an extra message");
    }

    /** Deletes a test's queue, whatever it still holds, so the next test finds the temporary storage empty. */
    static void deleteQueue(String q) {
        Connection c = null;
        try {
            c = open();
            ((ActiveMQConnection) c).destroyDestination(new org.apache.activemq.command.ActiveMQQueue(q));
        } catch (JMSException e) {
            log("cannot delete " + q + ": " + e);
        } finally {
            closeQuietly(c);
        }
    }

    /** tempPercentUsage from ActiveMQ.Statistics.Broker (the statisticsBrokerPlugin). */
    static long tempPercent(Session s) throws JMSException {
        javax.jms.TemporaryQueue reply = s.createTemporaryQueue();
        MessageConsumer rc = s.createConsumer(reply);
        Message req = s.createMessage();
        req.setJMSReplyTo(reply);
        s.createProducer(s.createQueue("ActiveMQ.Statistics.Broker")).send(req);
        javax.jms.MapMessage m = (javax.jms.MapMessage) rc.receive(10000);
        check(m != null, "no answer from ActiveMQ.Statistics.Broker");
        rc.close();
        reply.delete();
        return m.getLong("tempPercentUsage");
    }

    /** hermod_temp_usage_bytes from hermod's /metrics (its console on it.http). */
    static double tempUsageMetric() throws Exception {
        java.net.URL u = new java.net.URL("http://127.0.0.1:" + System.getProperty("it.http") + "/metrics");
        java.net.HttpURLConnection h = (java.net.HttpURLConnection) u.openConnection();
        h.setConnectTimeout(5000);
        h.setReadTimeout(10000);
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(h.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; )
                if (l.startsWith("hermod_temp_usage_bytes "))
                    return Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim());
        }
        throw new AssertionError("/metrics has no hermod_temp_usage_bytes");
    }

    // ---------------------------------------------------------------- tests

    /**
     * N non-persistent 1 KiB messages (three times the memory limit) into a queue nobody reads:
     * the producer is never held (it finishes within 120 s; on a broker that holds producers at
     * the memory limit it waits for ever); resident memory grows by less than BOUND_KB; then all
     * N drain in order, memory still within the bound.
     */
    static void backlogSpills() throws Exception {
        String q = name("backlog");
        Connection c = open();
        try {
            long base = procKb("RssAnon");
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            long t0 = System.nanoTime();
            new Sending(c, s.createQueue(q), 0, N).completes(N + " non-persistent messages (memory limit 4 MB, temporary storage 20 MB)");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long grown = procKb("RssAnon") - base;
            log("filled " + N + " x 1 KiB non-persistent in " + ms + " ms; RssAnon grew by " + grown + " kB");
            if (!REF)
                check(grown < BOUND_KB, "resident memory grew by " + grown + " kB for a non-persistent backlog of "
                      + N + " x 1 KiB (bound " + BOUND_KB + " kB)");
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            long[] peak = { 0 };
            drainInOrder(mc, 0, N, "the spilled backlog", () -> peak[0] = Math.max(peak[0], procKb("RssAnon") - base));
            log("drained in order; RssAnon growth peaked at " + peak[0] + " kB while draining");
            if (!REF)
                check(peak[0] < BOUND_KB, "resident memory grew by " + peak[0] + " kB while draining (bound " + BOUND_KB + " kB)");
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * A producer sends 3N into a queue nobody reads: it is held once the temporary storage is
     * full (its count stops well past the memory limit), not refused; a consumer then starts and
     * the producer resumes: all 3N arrive in order.
     */
    static void tempFullHoldsThenResumes() throws Exception {
        String q = name("held");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Sending snd = new Sending(c, s.createQueue(q), 0, 3 * N);
            AtomicInteger sent = snd.sent;
            AtomicReference<Throwable> failed = snd.failed;
            Thread t = snd.t;
            int last = -1;
            long until = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < until && t.isAlive()) {     /* until it stops for 1.5 s */
                Thread.sleep(1500);
                int now = sent.get();
                if (now == last) break;
                last = now;
            }
            check(t.isAlive(), "the producer was not held: it sent all " + (3 * N) + " (failure: " + failed.get() + ")");
            log("the producer stopped after " + last + " messages");
            check(last > N, "the producer stopped after " + last + " messages, before the temporary storage "
                  + "(20 MB) was full: held at the memory limit (4 MB)?");
            Session ss = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            long full = tempPercent(ss);
            log("tempPercentUsage while held: " + full);
            check(full >= 99, "the statistics plugin's tempPercentUsage while held is " + full);
            if (!REF) {
                double bytes = tempUsageMetric();
                log("/metrics hermod_temp_usage_bytes while held: " + (long) bytes);
                check(bytes >= 20 * 1024 * 1024, "hermod_temp_usage_bytes while held is " + bytes);
            }
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            drainInOrder(mc, 0, 3 * N, "the held producer's messages", null);
            check(finishes(t, 10_000), "the producer did not finish");
            check(failed.get() == null, "the held producer was refused: " + failed.get());
            long after = tempPercent(ss);
            log("tempPercentUsage after the drain: " + after);
            check(after < 5, "tempPercentUsage after draining everything is " + after);
            if (!REF)
                eq(0.0, tempUsageMetric(), "hermod_temp_usage_bytes after draining everything");
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * With the temporary storage full and nobody reading, a send is refused after
     * sendFailIfNoSpaceAfterTimeout with ActiveMQ's ResourceAllocationException text; after a
     * purge-by-consumption the queue takes messages again.
     */
    static void tempFullRefusesAfterTimeout() throws Exception { refusedWhenFull(name("refused")); }

    /** The same on a queue whose policy says sendFailIfNoSpace="true": refused as soon as it is full. */
    static void tempFullRefusesAtOnce() throws Exception { refusedWhenFull("it.spill.failnow." + RUN); }

    static void refusedWhenFull(String q) throws Exception {
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Sending snd = new Sending(c, s.createQueue(q), 0, 3 * N);
            AtomicInteger sent = snd.sent;
            AtomicReference<Throwable> failed = snd.failed;
            Thread t = snd.t;
            check(finishes(t, 180_000), "the producer was neither refused nor done after " + sent.get());
            Throwable e = failed.get();
            check(e != null, "every one of " + (3 * N) + " sends was taken: the temporary storage (20 MB) was never full");
            log("refused after " + sent.get() + ": " + e);
            check(e instanceof ResourceAllocationException, "the refusal is a " + e.getClass().getName()
                  + ", not javax.jms.ResourceAllocationException");
            String m = e.getMessage();
            check(m.startsWith("Temp Store is Full (") && m.contains("% of 20971520). Stopping producer (ID:")
                  && m.endsWith(") to prevent flooding queue://" + q
                                + ". See http://activemq.apache.org/producer-flow-control.html for more info"),
                  "the refusal's text: " + m);
            check(sent.get() > N, "refused after " + sent.get() + " sends, before the temporary storage was full");
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            drainInOrder(mc, 0, sent.get(), "the accepted messages", null);
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * A topic with a fast subscriber and a slow one (prefetch 1, reading only after the
     * producer is done): the producer sends N without being held, the fast one has all N by
     * then (within 30 s more), and the slow one then gets all N in order.
     */
    static void topicSlowSubscriberSpills() throws Exception {
        String topic = name("topic");
        Connection c = open(), slowC = open("&jms.prefetchPolicy.topicPrefetch=1");
        try {
            Session fs = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer fast = fs.createConsumer(fs.createTopic(topic));
            AtomicInteger fastGot = new AtomicInteger(), fastBad = new AtomicInteger();
            CountDownLatch fastAll = new CountDownLatch(1);
            fast.setMessageListener(m -> {
                try {
                    if (m.getIntProperty("n") != fastGot.get()) fastBad.incrementAndGet();
                } catch (JMSException e) {
                    fastBad.incrementAndGet();
                }
                if (fastGot.incrementAndGet() == N) fastAll.countDown();
            });
            Session ss = slowC.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer slow = ss.createConsumer(ss.createTopic(topic));
            Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            new Sending(c, ps.createTopic(topic), 0, N).completes(N + " to a topic one subscriber reads nothing of");
            check(fastAll.await(30, TimeUnit.SECONDS), "the fast subscriber got " + fastGot.get() + " of " + N);
            eq(0, fastBad.get(), "messages out of order at the fast subscriber");
            drainInOrder(slow, 0, N, "the slow subscriber", null);
        } finally {
            closeQuietly(c);
            closeQuietly(slowC);
        }
    }

    /**
     * N non-persistent messages spilled and one persistent one on the same queue; after a
     * graceful restart only the persistent one is there, and (hermod) the temporary storage
     * holds nothing of the previous run.
     */
    static void restartDiscardsSpilled() throws Exception {
        String q = name("restart");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            new Sending(c, s.createQueue(q), 0, N).completes(N + " before the restart");
            MessageProducer p = s.createProducer(s.createQueue(q));
            TextMessage m = s.createTextMessage("kept");
            m.setIntProperty("n", -1);
            p.send(m, DeliveryMode.PERSISTENT, 4, 0);
        } catch (Throwable e) {
            closeQuietly(c);
            deleteQueue(q);
            throw e;
        }
        closeQuietly(c);
        BROKER.run("restart");
        if (!REF) {
            File tmp = new File(DIR, "data/tmp_storage/spill.db");
            check(!tmp.exists() || tmp.length() < 1024 * 1024, "tmp_storage/spill.db has " + tmp.length()
                  + " bytes after the restart");
        }
        c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            Message m = mc.receive(10000);
            check(m != null, "the persistent message did not survive the restart");
            eq(-1, m.getIntProperty("n"), "the first message after the restart (a spilled one survived?)");
            check(mc.receive(1000) == null, "a spilled non-persistent message survived the restart");
        } finally {
            closeQuietly(c);
        }
    }

    /** Sends n non-persistent 1 KiB messages synchronously, shaped (property n = i, priority). */
    interface Shaper { int shape(Message m, int i) throws JMSException; }

    static void fill(Session s, String q, int n, Shaper shaper) throws Exception {
        MessageProducer p = s.createProducer(s.createQueue(q));
        for (int i = 0; i < n; i++) {
            TextMessage m = s.createTextMessage(KIB);
            m.setIntProperty("n", i);
            int prio = shaper != null ? shaper.shape(m, i) : 4;
            p.send(m, DeliveryMode.NON_PERSISTENT, prio, 0);
        }
    }

    /**
     * N non-persistent messages, the last 20 with color='far' (all of them spilled): a consumer
     * with `color = 'far'` gets exactly those 20 in order (scanning temporary storage, not just
     * what is in memory), then a plain consumer gets the other N - 20 in order.
     */
    static void selectorReachesSpilled() throws Exception {
        String q = name("selector");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            fill(s, q, N, (m, i) -> { m.setStringProperty("color", i >= N - 20 ? "far" : "near"); return 4; });
            MessageConsumer far = s.createConsumer(s.createQueue(q), "color = 'far'");
            drainInOrder(far, N - 20, 20, "the selector's matches at the far end", null);
            far.close();
            drainInOrder(s.createConsumer(s.createQueue(q)), 0, N - 20, "the rest", null);
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * N non-persistent messages with priorities (n*7) % 10, most of them spilled: one consumer
     * gets them all in strict priority order, send order within a priority.
     */
    static void priorityAcrossSpill() throws Exception {
        String q = name("priority");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            fill(s, q, N, (m, i) -> (i * 7) % 10);
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            int lastPrio = 10, lastN = -1;
            for (int k = 0; k < N; k++) {
                Message m = mc.receive(10000);
                check(m != null, "got " + k + " of " + N);
                int n = m.getIntProperty("n"), prio = m.getJMSPriority();
                eq((n * 7) % 10, prio, "priority of n=" + n);
                check(prio < lastPrio || (prio == lastPrio && n > lastN), "message #" + k + " (n=" + n + ", priority "
                      + prio + ") after n=" + lastN + " at priority " + lastPrio);
                lastPrio = prio;
                lastN = n;
            }
            check(mc.receive(500) == null, "an extra message");
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * N non-persistent messages, every other one with a 2 s time to live, most of them spilled;
     * after 3 s a consumer gets exactly the others, in order (the expired ones are dropped as they
     * come back from temporary storage), and the queue is then empty.
     */
    static void expiryOfSpilled() throws Exception {
        String q = name("expiry");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(s.createQueue(q));
            for (int i = 0; i < N; i++) {
                TextMessage m = s.createTextMessage(KIB);
                m.setIntProperty("n", i);
                p.send(m, DeliveryMode.NON_PERSISTENT, 4, i % 2 == 1 ? 2000 : 0);
            }
            Thread.sleep(3000);
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            for (int i = 0; i < N; i += 2) {
                Message m = mc.receive(10000);
                check(m != null, "got " + (i / 2) + " of " + (N / 2) + " unexpired messages");
                eq(i, m.getIntProperty("n"), "the unexpired messages in order");
            }
            check(mc.receive(1000) == null, "an expired message was delivered");
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * N non-persistent messages in 4 message groups (JMSXGroupID g0..g3 by n % 4), most of them
     * spilled, then two consumers (prefetch 10) read together: every message comes once, each
     * group goes to one consumer only, and in send order within the group.
     */
    static void groupsAcrossSpill() throws Exception {
        String q = name("groups");
        Connection c = open("&jms.prefetchPolicy.queuePrefetch=10"), d = open("&jms.prefetchPolicy.queuePrefetch=10");
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            fill(s, q, N, (m, i) -> { m.setStringProperty("JMSXGroupID", "g" + (i % 4)); return 4; });
            java.util.Map<String, Integer> owner = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.Map<String, Integer> lastN = new java.util.concurrent.ConcurrentHashMap<>();
            AtomicInteger got = new AtomicInteger();
            AtomicReference<String> bad = new AtomicReference<>();
            Connection[] conns = { c, d };
            Thread[] readers = new Thread[2];
            for (int k = 0; k < 2; k++) {
                final int who = k;
                Session rs = conns[k].createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageConsumer mc = rs.createConsumer(rs.createQueue(q));
                readers[k] = new Thread(() -> {
                    try {
                        for (Message m; (m = mc.receive(3000)) != null; ) {
                            String g = m.getStringProperty("JMSXGroupID");
                            int n = m.getIntProperty("n");
                            Integer o = owner.putIfAbsent(g, who);
                            if (o != null && o != who) bad.compareAndSet(null, "group " + g + " went to both consumers (n=" + n + ")");
                            Integer prev = lastN.put(g, n);
                            if (prev != null && prev + 4 != n) bad.compareAndSet(null, "group " + g + ": n=" + n + " after n=" + prev);
                            got.incrementAndGet();
                        }
                    } catch (JMSException e) {
                        bad.compareAndSet(null, e.toString());
                    }
                }, "reader" + k);
                readers[k].start();
            }
            for (Thread t : readers) t.join(180_000);
            check(bad.get() == null, bad.get());
            eq(N, got.get(), "messages received by the two consumers");
        } finally {
            closeQuietly(c);
            closeQuietly(d);
            deleteQueue(q);
        }
    }

    /** A browser enumerates all N of a spilled queue in order; a consumer then still gets all N. */
    static void browserSeesSpilled() throws Exception {
        String q = name("browser");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            fill(s, q, N, null);
            java.util.Enumeration<?> e = s.createBrowser(s.createQueue(q)).getEnumeration();
            int k = 0;
            while (e.hasMoreElements()) {
                Message m = (Message) e.nextElement();
                if (m.getIntProperty("n") != k)
                    throw new AssertionError("browsed message #" + k + " is n=" + m.getIntProperty("n"));
                k++;
            }
            eq(N, k, "messages the browser saw");
            drainInOrder(s.createConsumer(s.createQueue(q)), 0, N, "after browsing", null);
        } finally {
            closeQuietly(c);
            deleteQueue(q);
        }
    }

    /**
     * Hostile: a producer floods non-persistent messages (asynchronous sends, 1 MB producer
     * window) at a consumer that never reads, for at most 60 s or 6N messages.  The broker takes
     * more than the memory limit (it spills), its resident memory stays within the bound, and it
     * is up and serving afterwards.
     */
    static void floodNeverReadingConsumer() throws Exception {
        String q = name("flood");
        Connection reader = open(), flooder = open("&jms.useAsyncSend=true&jms.producerWindowSize=1048576");
        try {
            Session rs = reader.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            rs.createConsumer(rs.createQueue(q));              /* never reads, never acks */
            long base = procKb("RssAnon"), peak = 0;
            Session fs = flooder.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = fs.createProducer(fs.createQueue(q));
            p.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            AtomicInteger sent = new AtomicInteger();
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; i < 6 * N; i++) {
                        TextMessage m = fs.createTextMessage(KIB);
                        m.setIntProperty("n", i);
                        p.send(m);
                        sent.incrementAndGet();
                    }
                } catch (Throwable e) {
                    log("the flooding producer stopped: " + e);
                }
            }, "flooder");
            t.setDaemon(true);
            t.start();
            long until = System.currentTimeMillis() + 60_000;
            while (t.isAlive() && System.currentTimeMillis() < until) {
                Thread.sleep(500);
                peak = Math.max(peak, procKb("RssAnon") - base);
            }
            log("flood: " + sent.get() + " sent; RssAnon growth peaked at " + peak + " kB");
            check(sent.get() > N, "the broker took only " + sent.get() + " messages (about "
                  + sent.get() / 1000 + " MB): held at the memory limit instead of spilling");
            if (!REF)
                check(peak < BOUND_KB + 8 * 1024, "resident memory grew by " + peak + " kB under the flood");
            closeQuietly(flooder);
            flooder = null;
            check(BROKER.alive(), "the broker died under the flood");
            Connection probe = open();
            try {
                Session s = probe.createSession(false, Session.AUTO_ACKNOWLEDGE);
                String other = name("after_flood");
                s.createProducer(s.createQueue(other)).send(s.createTextMessage("alive"));
                Message m = s.createConsumer(s.createQueue(other)).receive(10000);
                check(m != null, "the broker does not serve after the flood");
            } finally {
                closeQuietly(probe);
            }
        } finally {
            closeQuietly(reader);
            closeQuietly(flooder);
        }
        deleteQueue(q);        /* the flood's backlog goes with its queue */
    }

    public static void main(String[] args) {
        Suite s = new Suite(240);
        s.add("nonpersistent_backlog_spills_drains_in_order", 300, SpillSuite::backlogSpills);
        s.add("temp_full_holds_producer_then_resumes", 300, Suite.beyondReference(REF,
                "its temporary storage shrinks only when whole journal files go, so the held producer is "
                + "refused after sendFailIfNoSpaceAfterTimeout although consumers drained", SpillSuite::tempFullHoldsThenResumes));
        s.add("temp_full_refuses_after_timeout_with_activemq_text", 300, SpillSuite::tempFullRefusesAfterTimeout);
        s.add("temp_full_refuses_at_once_with_send_fail_if_no_space", 300, SpillSuite::tempFullRefusesAtOnce);
        s.add("topic_slow_subscriber_spills_fast_one_receives", 300, SpillSuite::topicSlowSubscriberSpills);
        s.add("restart_discards_spilled_messages", 300, SpillSuite::restartDiscardsSpilled);
        s.add("selector_reaches_spilled_matches", 300, Suite.beyondReference(REF,
                "its cursor offers a selector only what it has paged in: 0 of 20", SpillSuite::selectorReachesSpilled));
        s.add("expiry_of_spilled_messages", 300, SpillSuite::expiryOfSpilled);
        s.add("message_groups_across_spill", 300, SpillSuite::groupsAcrossSpill);
        s.add("priority_order_across_spill", 300, Suite.beyondReference(REF,
                "it orders by priority only what it has paged in", SpillSuite::priorityAcrossSpill));
        s.add("browser_sees_spilled_messages", 300, Suite.beyondReference(REF,
                "a browser sees at most maxBrowsePageSize (400) messages", SpillSuite::browserSeesSpilled));
        s.add("flood_at_never_reading_consumer_stays_bounded", 300, SpillSuite::floodNeverReadingConsumer);
        if (args.length > 0 && args[0].equals("--list")) System.exit(s.run(args));
        try {
            Connection probe = open();
            probe.close();
        } catch (Exception e) {
            s.failAll(args, "cannot open a JMS connection to the broker: " + e);
            System.exit(1);
        }
        System.exit(s.run(args) == 0 ? 0 : 1);
    }
}
