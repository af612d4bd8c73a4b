package hermodit.delivery;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import hermodit.Suite;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TemporaryQueue;
import javax.jms.TextMessage;
import javax.jms.Topic;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQMessage;

/**
 * Delivery-semantics interop suite (issue 6): what a Java JMS user sees of message priority,
 * time-to-live, message groups, exclusive and prioritised consumers, destination options,
 * virtual and composite destinations and the statistics plugin. Runs unchanged against hermod
 * and (REF=1) ActiveMQ 5.17; the one place the two are allowed to differ (priority bands after
 * a restart) says so where it is checked. Scheduled delivery is judged by test/interop/sched.
 */
public final class DeliverySuite {
    static final String PORT = System.getProperty("it.port", "61200");
    static final String DIR = System.getProperty("it.brokerDir");
    static final String CTL = System.getProperty("it.ctl");
    static final String BROKER_NAME = System.getProperty("it.brokerName", "itest");
    static final boolean REF = "1".equals(System.getProperty("it.ref"));
    static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);

    /** Destinations of the broker configuration run.sh writes (IT_BROKER_XML). */
    static final String COMPOSITE_IN = "IT.Composite.In";
    static final String COMPOSITE_Q = "IT.Composite.OutQ";
    static final String COMPOSITE_T = "IT.Composite.OutT";

    static ActiveMQConnectionFactory cf(String options) {
        // Synchronous sends and acks: a returned send()/receive() means the broker has it.
        String url = "tcp://127.0.0.1:" + PORT + "?connectionTimeout=5000&jms.alwaysSyncSend=true&jms.sendAcksAsync=false"
                + (options.isEmpty() ? "" : "&" + options);
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        f.setCloseTimeout(3000);
        f.setConnectResponseTimeout(10000);
        return f;
    }

    static String name(String test) { return "it." + test + "." + RUN; }

    /** Every connection a test opens; closed (bounded) when the test ends, however it ends. */
    static final class Conns implements AutoCloseable {
        private final List<Connection> all = new ArrayList<>();

        Connection open(String options) throws JMSException {
            Connection c = cf(options).createConnection();
            all.add(c);
            c.start();
            return c;
        }

        Session session(String options) throws JMSException {
            return open(options).createSession(false, Session.AUTO_ACKNOWLEDGE);
        }

        @Override
        public void close() {
            for (Connection c : all) {
                Thread t = new Thread(() -> {
                    try { c.close(); } catch (Exception ignored) { }
                });
                t.setDaemon(true);
                t.start();
                try { t.join(5000); } catch (InterruptedException ignored) { }
            }
            all.clear();
        }
    }

    /** Runs brokerctl.sh DIR cmd (restart: SIGTERM, then start on the same data). */
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

    /** Receives until nothing more arrives for quietMs (the first message may take 10 s). */
    static List<Message> drain(MessageConsumer c, long quietMs) throws JMSException {
        List<Message> got = new ArrayList<>();
        for (Message m; (m = c.receive(got.isEmpty() ? Math.max(quietMs, 10_000) : quietMs)) != null; ) got.add(m);
        return got;
    }

    /** Receives exactly n messages (each within 10 s), then requires silence for quietMs. */
    static List<Message> receiveExactly(MessageConsumer c, int n, long quietMs, String what) throws JMSException {
        List<Message> got = new ArrayList<>();
        while (got.size() < n) {
            Message m = c.receive(10_000);
            check(m != null, what + ": only " + got.size() + " of " + n + " messages arrived");
            got.add(m);
        }
        Message extra = c.receive(quietMs);
        check(extra == null, what + ": a message beyond the expected " + n + " arrived: " + describe(extra));
        return got;
    }

    static String describe(Message m) {
        if (m == null) return "null";
        try {
            return m.getJMSMessageID() + " props=" + Collections.list((java.util.Enumeration<?>) m.getPropertyNames());
        } catch (JMSException e) {
            return String.valueOf(m);
        }
    }

    static List<Integer> ints(List<Message> ms, String prop) throws JMSException {
        List<Integer> out = new ArrayList<>();
        for (Message m : ms) out.add(m.getIntProperty(prop));
        return out;
    }

    /** Collects what a MessageListener consumer gets, in arrival order. */
    static final class Collector implements javax.jms.MessageListener {
        final String label;
        final List<Message> got = Collections.synchronizedList(new ArrayList<>());
        Collector(String label) { this.label = label; }
        @Override public void onMessage(Message m) {
            synchronized (COUNT_LOCK) {
                got.add(m);
                COUNT_LOCK.notifyAll();
            }
        }
    }

    static final Object COUNT_LOCK = new Object();

    /** Waits (at most limitMs) until the collectors together hold total messages. */
    static void awaitTotal(List<Collector> cs, int total, long limitMs, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + limitMs;
        synchronized (COUNT_LOCK) {
            while (true) {
                int n = 0;
                for (Collector c : cs) n += c.got.size();
                if (n >= total) return;
                long left = end - System.currentTimeMillis();
                check(left > 0, what + ": only " + n + " of " + total + " messages arrived within " + limitMs + " ms");
                COUNT_LOCK.wait(left);
            }
        }
    }

    public static void main(String[] args) {
        Suite s = new Suite(40);
        s.add("priority_strict", DeliverySuite::priorityStrict);
        s.add("priority_after_restart", 120, DeliverySuite::priorityAfterRestart);
        s.add("selector_after_restart", 120, DeliverySuite::selectorAfterRestart);
        s.add("ttl_expired_never_delivered", DeliverySuite::ttlExpiredNeverDelivered);
        s.add("ttl_expired_persistent_to_dlq", DeliverySuite::ttlPersistentToDlq);
        s.add("ttl_expired_nonpersistent_not_to_dlq", DeliverySuite::ttlNonPersistentNotToDlq);
        s.add("ttl_expired_in_prefetch_to_dlq", DeliverySuite::ttlExpiredInPrefetch);
        s.add("groups_pinned_and_moved", DeliveryGroups::groupsPinnedAndMoved);
        s.add("groups_seq_minus_one_closes", DeliveryGroups::groupSeqClose);
        s.add("groups_close_moves_prefetched", DeliveryGroups::groupCloseMovesPrefetched);
        s.add("exclusive_consumer", DeliverySuite::exclusiveConsumer);
        s.add("consumer_priority", DeliverySuite::consumerPriority);
        s.add("consumer_priority_overflow", DeliverySuite::consumerPriorityOverflow);
        s.add("destination_options_prefetch", DeliverySuite::destinationOptionsPrefetch);
        s.add("virtual_topic", DeliverySuite::virtualTopic);
        s.add("virtual_topic_offline_consumer", 120, DeliverySuite::virtualTopicOffline);
        s.add("composite_destination", DeliverySuite::compositeDestination);
        s.add("composite_filtered", DeliverySuite::compositeFiltered);
        s.add("composite_topic", DeliverySuite::compositeTopic);
        s.add("statistics_destination", DeliveryStatistics::statisticsDestination);
        s.add("statistics_topic", DeliveryStatistics::statisticsTopic);
        s.add("statistics_expired", DeliveryStatistics::statisticsExpired);
        s.add("statistics_broker", DeliveryStatistics::statisticsBroker);
        if (args.length > 0 && args[0].equals("--list")) System.exit(s.run(args));
        try (Conns k = new Conns()) {
            k.session("").close();
        } catch (Exception e) {
            s.failAll(args, "cannot open a JMS connection to the broker: " + e);
            System.exit(1);
        }
        int failed = s.run(args);
        System.exit(failed == 0 ? 0 : 1);
    }

    // ------------------------------------------------------------------ priority

    /** 50 persistent messages, 5 of each priority 0..9, interleaved ((i*7+3) mod 10). */
    static List<Integer> sendPriorityMix(Session s, Queue q) throws JMSException {
        MessageProducer p = s.createProducer(q);
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        List<Integer> prios = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int prio = (i * 7 + 3) % 10;
            TextMessage m = s.createTextMessage("prio " + prio + " seq " + i);
            m.setIntProperty("seq", i);
            p.send(m, DeliveryMode.PERSISTENT, prio, 0);
            prios.add(prio);
        }
        p.close();
        return prios;
    }

    /** The order a strict-priority broker must deliver: priority 9 first, FIFO within one. */
    static List<Integer> strictOrder(List<Integer> prios) {
        List<Integer> order = new ArrayList<>();
        for (int p = 9; p >= 0; p--)
            for (int i = 0; i < prios.size(); i++)
                if (prios.get(i) == p) order.add(i);
        return order;
    }

    /** Receives the 50 with a prefetch-1 consumer; checks each carries the priority it was sent with. */
    static List<Integer> receiveMix(Conns k, Queue q, List<Integer> prios) throws JMSException {
        Session s = k.session("jms.prefetchPolicy.queuePrefetch=1");
        List<Message> got = receiveExactly(s.createConsumer(q), 50, 1000, "priority mix");
        List<Integer> seqs = ints(got, "seq");
        for (Message m : got)
            eq(prios.get(m.getIntProperty("seq")), m.getJMSPriority(), "JMSPriority of seq " + m.getIntProperty("seq"));
        eq(50, new HashSet<>(seqs).size(), "distinct messages received");
        return seqs;
    }

    /**
     * Mixed priorities queued before any consumer exists come out highest first, in send order
     * within a priority, to a prefetch-1 consumer (ActiveMQ needs prioritizedMessages="true" on the
     * queue's policy entry, which refbroker.sh sets; hermod always orders queues by priority).
     */
    static void priorityStrict() throws Exception {
        try (Conns k = new Conns()) {
            Queue q = new org.apache.activemq.command.ActiveMQQueue(name("prio"));
            List<Integer> prios = sendPriorityMix(k.session(""), q);
            eq(strictOrder(prios), receiveMix(k, q, prios), "delivery order (seq numbers)");
        }
    }

    static int band(int prio) { return prio > 4 ? 2 : prio == 4 ? 1 : 0; }

    /**
     * The same mix, persistent, with a graceful broker restart between send and receive. hermod
     * keeps all ten priorities in its store: strict order, as before the restart. ActiveMQ's
     * KahaDB indexes only three priority bands (0-3, 4, 5-9) and orders only within what it pages
     * in, so under REF=1 only what ActiveMQ guarantees is asserted: bands never go up, and
     * messages of one priority keep their send order.
     */
    static void priorityAfterRestart() throws Exception {
        Queue q = new org.apache.activemq.command.ActiveMQQueue(name("prio_restart"));
        List<Integer> prios;
        try (Conns k = new Conns()) {
            prios = sendPriorityMix(k.session(""), q);
        }
        broker("restart");
        try (Conns k = new Conns()) {
            List<Integer> seqs = receiveMix(k, q, prios);
            log("order after restart: " + seqs);
            if (!REF) {
                eq(strictOrder(prios), seqs, "delivery order after restart (seq numbers)");
                return;
            }
            Map<Integer, Integer> lastSeqOfPrio = new HashMap<>();
            int lastBand = 2;
            for (int seq : seqs) {
                int p = prios.get(seq);
                check(band(p) <= lastBand, "priority band went up at seq " + seq + " (priority " + p + ") in " + seqs);
                lastBand = band(p);
                Integer prev = lastSeqOfPrio.put(p, seq);
                check(prev == null || prev < seq, "priority " + p + " out of send order: " + prev + " then " + seq);
            }
        }
    }

    /** Messages read back from the store keep their properties, headers and bodies: a selector
     * picks the same ones it would have before the restart, in order, and the rest follow. */
    static void selectorAfterRestart() throws Exception {
        Queue q = new org.apache.activemq.command.ActiveMQQueue(name("sel_restart"));
        try (Conns k = new Conns()) {
            Session s = k.session("");
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < 10; i++) {
                TextMessage m = s.createTextMessage("m" + i);
                m.setStringProperty("color", i % 2 == 0 ? "red" : "blue");
                m.setIntProperty("n", i);
                m.setStringProperty("JMSXGroupID", "g" + (i % 3));
                m.setJMSCorrelationID("corr-" + i);
                m.setJMSType("type-" + i);
                p.send(m);
            }
        }
        broker("restart");
        try (Conns k = new Conns()) {
            Session s = k.session("");
            List<Message> sel = receiveExactly(s.createConsumer(q, "color = 'red' AND n > 2"), 3, 1000, "selector after restart");
            int[] want = { 4, 6, 8 };
            for (int j = 0; j < want.length; j++) {
                TextMessage m = (TextMessage) sel.get(j);
                int i = want[j];
                eq("m" + i, m.getText(), "body of selected message " + j);
                eq(i, m.getIntProperty("n"), "property n of selected message " + j);
                eq("red", m.getStringProperty("color"), "property color of selected message " + j);
                eq("g" + (i % 3), m.getStringProperty("JMSXGroupID"), "JMSXGroupID of selected message " + j);
                eq("corr-" + i, m.getJMSCorrelationID(), "JMSCorrelationID of selected message " + j);
                eq("type-" + i, m.getJMSType(), "JMSType of selected message " + j);
                eq(DeliveryMode.PERSISTENT, m.getJMSDeliveryMode(), "delivery mode of selected message " + j);
            }
        }
        try (Conns k = new Conns()) {
            Session s = k.session("");
            List<Message> rest = receiveExactly(s.createConsumer(q), 7, 1000, "the rest after restart");
            List<String> texts = new ArrayList<>();
            for (Message m : rest) texts.add(((TextMessage) m).getText());
            eq(java.util.Arrays.asList("m0", "m1", "m2", "m3", "m5", "m7", "m9"), texts, "unselected messages in order");
        }
    }

    // ------------------------------------------------------------------ time to live

    /** An expired message is never delivered; live ones (no TTL, long TTL) are, in order. */
    static void ttlExpiredNeverDelivered() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            Queue q = s.createQueue(name("ttl"));
            MessageProducer p = s.createProducer(q);
            String[] labels = { "expires", "no-ttl", "long-ttl", "expires-np" };
            long[] ttls = { 500, 0, 600_000, 500 };
            int[] modes = { DeliveryMode.PERSISTENT, DeliveryMode.PERSISTENT, DeliveryMode.PERSISTENT, DeliveryMode.NON_PERSISTENT };
            for (int i = 0; i < labels.length; i++) {
                TextMessage m = s.createTextMessage(labels[i]);
                p.send(m, modes[i], 4, ttls[i]);
                if (ttls[i] > 0) check(m.getJMSExpiration() > 0, labels[i] + ": JMSExpiration set on send");
            }
            Thread.sleep(1500);
            List<Message> got = receiveExactly(s.createConsumer(q), 2, 1500, "live messages");
            eq("no-ttl", ((TextMessage) got.get(0)).getText(), "first live message");
            eq("long-ttl", ((TextMessage) got.get(1)).getText(), "second live message");
            eq(0L, got.get(0).getJMSExpiration(), "JMSExpiration of the message without TTL");
            check(got.get(1).getJMSExpiration() > System.currentTimeMillis(), "JMSExpiration of the long-TTL message is in the future");
        }
    }

    /** A DLQ consumer that only sees this run's messages of one test. */
    static MessageConsumer dlqConsumer(Session s, String test) throws JMSException {
        return s.createConsumer(s.createQueue("ActiveMQ.DLQ"), "itRun = '" + RUN + "' AND itTest = '" + test + "'");
    }

    /**
     * An expired persistent message goes to ActiveMQ.DLQ: same JMSMessageID and body, no expiry
     * any more, originalExpiration = its JMSExpiration, dlqDeliveryFailureCause naming the expiry,
     * original destination kept. It is never delivered from its own queue.
     */
    static void ttlPersistentToDlq() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            Queue q = s.createQueue(name("ttl_dlq"));
            MessageProducer p = s.createProducer(q);
            TextMessage m = s.createTextMessage("expire me");
            m.setStringProperty("itRun", RUN);
            m.setStringProperty("itTest", "ttl_dlq");
            m.setIntProperty("kept", 42);
            p.send(m, DeliveryMode.PERSISTENT, 4, 500);
            long expiration = m.getJMSExpiration();
            String id = m.getJMSMessageID();
            Thread.sleep(1500);
            MessageConsumer c = s.createConsumer(q);
            Message leaked = c.receive(1000);
            check(leaked == null, "expired message delivered from its queue: " + describe(leaked));
            Message d = dlqConsumer(s, "ttl_dlq").receive(10_000);
            check(d != null, "expired persistent message did not reach ActiveMQ.DLQ within 10 s");
            eq(id, d.getJMSMessageID(), "DLQ copy JMSMessageID");
            eq("expire me", ((TextMessage) d).getText(), "DLQ copy body");
            eq(42, d.getIntProperty("kept"), "DLQ copy keeps the application property");
            eq(0L, d.getJMSExpiration(), "DLQ copy JMSExpiration (no longer expires)");
            eq(DeliveryMode.PERSISTENT, d.getJMSDeliveryMode(), "DLQ copy delivery mode");
            check(d.propertyExists("originalExpiration"), "DLQ copy has originalExpiration");
            eq(expiration, d.getLongProperty("originalExpiration"), "originalExpiration");
            eq("java.lang.Throwable: Message Expired. Expiration:" + expiration,
                    d.getStringProperty("dlqDeliveryFailureCause"), "dlqDeliveryFailureCause");
            eq("queue://" + q.getQueueName(), String.valueOf(((ActiveMQMessage) d).getOriginalDestination()),
                    "original destination of the DLQ copy");
            eq("ActiveMQ.DLQ", ((Queue) d.getJMSDestination()).getQueueName(), "JMSDestination of the DLQ copy");
        }
    }

    /**
     * An expired non-persistent message is dropped, not dead-lettered (ActiveMQ's default
     * processNonPersistent=false). A persistent marker that expires with it proves the broker
     * has already processed both when the marker shows up on the DLQ.
     */
    static void ttlNonPersistentNotToDlq() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            Queue q = s.createQueue(name("ttl_np"));
            MessageProducer p = s.createProducer(q);
            TextMessage np = s.createTextMessage("non-persistent");
            np.setStringProperty("itRun", RUN);
            np.setStringProperty("itTest", "ttl_np");
            np.setStringProperty("which", "np");
            p.send(np, DeliveryMode.NON_PERSISTENT, 4, 500);
            TextMessage marker = s.createTextMessage("marker");
            marker.setStringProperty("itRun", RUN);
            marker.setStringProperty("itTest", "ttl_np");
            marker.setStringProperty("which", "marker");
            p.send(marker, DeliveryMode.PERSISTENT, 4, 500);
            Thread.sleep(1500);
            Message leaked = s.createConsumer(q).receive(1000);
            check(leaked == null, "expired message delivered from its queue: " + describe(leaked));
            MessageConsumer dlq = dlqConsumer(s, "ttl_np");
            Message first = dlq.receive(10_000);
            check(first != null, "the expired persistent marker did not reach ActiveMQ.DLQ within 10 s");
            eq("marker", first.getStringProperty("which"), "first DLQ message of the test");
            Message more = dlq.receive(1500);
            check(more == null, "expired non-persistent message was dead-lettered: " + describe(more));
        }
    }

    /**
     * A persistent message that expires while it waits in a consumer's prefetch buffer (the
     * application calls receive() only later) is not handed to the application; the client
     * acknowledges it as expired and the broker dead-letters it like any expired message. A live
     * message behind it is delivered.
     */
    static void ttlExpiredInPrefetch() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            Queue q = s.createQueue(name("ttl_prefetch"));
            MessageConsumer c = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            TextMessage m = s.createTextMessage("expires in prefetch");
            m.setStringProperty("itRun", RUN);
            m.setStringProperty("itTest", "ttl_prefetch");
            p.send(m, DeliveryMode.PERSISTENT, 4, 1000);
            p.send(s.createTextMessage("live"), DeliveryMode.PERSISTENT, 4, 0);
            long expiration = m.getJMSExpiration();
            Thread.sleep(2000);
            Message got = c.receive(5000);
            check(got != null, "the live message was not delivered");
            eq("live", ((TextMessage) got).getText(), "the only message delivered");
            Message more = c.receive(1000);
            check(more == null, "another message delivered: " + describe(more));
            Message d = dlqConsumer(s, "ttl_prefetch").receive(10_000);
            check(d != null, "message expired in the prefetch buffer did not reach ActiveMQ.DLQ within 10 s");
            eq(m.getJMSMessageID(), d.getJMSMessageID(), "DLQ copy JMSMessageID");
            eq(expiration, d.getLongProperty("originalExpiration"), "originalExpiration");
            check(String.valueOf(d.getStringProperty("dlqDeliveryFailureCause")).contains("Expired"),
                    "dlqDeliveryFailureCause names the expiry, was " + d.getStringProperty("dlqDeliveryFailureCause"));
        }
    }

    // ------------------------------------------------------------------ message groups

    static int owner(Map<String, Integer> owners, String group, int consumer, String phase) {
        Integer prev = owners.putIfAbsent(group, consumer);
        check(prev == null || prev == consumer, phase + ": group " + group + " went to consumers " + prev + " and " + consumer);
        return consumer;
    }

    static void sendGroups(Session s, Queue q, int fromRound, int toRound) throws JMSException {
        MessageProducer p = s.createProducer(q);
        for (int r = fromRound; r < toRound; r++)
            for (int g = 0; g < 6; g++) {
                TextMessage m = s.createTextMessage("G" + g + " r" + r);
                m.setStringProperty("JMSXGroupID", "G" + g);
                m.setIntProperty("r", r);
                p.send(m);
            }
        p.close();
    }

    /**
     * Checks one phase: every group on exactly one consumer, rounds in order within a group, and
     * JMSXGroupFirstForConsumer true on exactly the first message a consumer gets of a group
     * (firstRound[g] names that round; -1 = the group had this consumer before, so none).
     */
    static Map<String, Integer> checkGroups(List<Collector> cs, int fromRound, int toRound,
                                            Map<String, Integer> before, String phase) throws JMSException {
        Map<String, Integer> owners = new LinkedHashMap<>();
        Map<String, Integer> lastRound = new HashMap<>();
        for (int ci = 0; ci < cs.size(); ci++) {
            Collector c = cs.get(ci);
            if (c == null) continue;
            List<Message> mine;
            synchronized (COUNT_LOCK) { mine = new ArrayList<>(c.got); }
            for (Message m : mine) {
                String g = m.getStringProperty("JMSXGroupID");
                int r = m.getIntProperty("r");
                if (r < fromRound || r >= toRound) continue;
                owner(owners, g, ci, phase);
                Integer last = lastRound.put(g, r);
                check(last == null ? r == fromRound : r == last + 1,
                        phase + ": group " + g + " round " + r + " after " + last + " (order or loss)");
                boolean newToConsumer = last == null && (before == null || !Integer.valueOf(ci).equals(before.get(g)));
                eq(newToConsumer, m.getBooleanProperty("JMSXGroupFirstForConsumer"),
                        phase + ": JMSXGroupFirstForConsumer of " + g + " round " + r + " on consumer " + ci);
            }
        }
        for (int g = 0; g < 6; g++)
            eq(toRound - 1, lastRound.get("G" + g), phase + ": last round of G" + g);
        return owners;
    }




    // ------------------------------------------------------------------ consumers

    static void sendNumbered(Session s, Queue q, int from, int to) throws JMSException {
        MessageProducer p = s.createProducer(q);
        for (int i = from; i < to; i++) {
            TextMessage m = s.createTextMessage("m" + i);
            m.setIntProperty("i", i);
            p.send(m);
        }
        p.close();
    }

    static List<Integer> range(int from, int to) {
        List<Integer> l = new ArrayList<>();
        for (int i = from; i < to; i++) l.add(i);
        return l;
    }

    /**
     * consumer.exclusive=true: the first exclusive consumer gets everything while a second one
     * waits with nothing; when the first closes (10 of 20 consumed, the rest prefetched), the
     * second gets exactly the other 10, in order.
     */
    static void exclusiveConsumer() throws Exception {
        try (Conns k = new Conns()) {
            String qn = name("excl");
            Session sa = k.session("");
            MessageConsumer a = sa.createConsumer(sa.createQueue(qn + "?consumer.exclusive=true"));
            Session sb = k.session("");
            MessageConsumer b = sb.createConsumer(sb.createQueue(qn + "?consumer.exclusive=true"));
            sendNumbered(k.session(""), sa.createQueue(qn), 0, 20);
            List<Integer> gotA = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Message m = a.receive(10_000);
                check(m != null, "exclusive consumer got only " + i + " messages");
                gotA.add(m.getIntProperty("i"));
            }
            eq(range(0, 10), gotA, "first exclusive consumer's messages");
            Message early = b.receive(1000);
            check(early == null, "second exclusive consumer got a message while the first was open: " + describe(early));
            a.close();
            List<Integer> gotB = ints(receiveExactly(b, 10, 1000, "second exclusive consumer after take-over"), "i");
            eq(range(10, 20), gotB, "second exclusive consumer's messages");
        }
    }

    /**
     * queue?consumer.priority=10 is preferred over a priority-0 consumer created before it: the
     * high one gets all 20, the low one nothing; once the high one closes, the low one gets new
     * messages.
     */
    static void consumerPriority() throws Exception {
        try (Conns k = new Conns()) {
            String qn = name("cprio");
            Session sl = k.session("");
            MessageConsumer low = sl.createConsumer(sl.createQueue(qn));
            Session sh = k.session("");
            MessageConsumer high = sh.createConsumer(sh.createQueue(qn + "?consumer.priority=10"));
            Session ps = k.session("");
            sendNumbered(ps, ps.createQueue(qn), 0, 20);
            eq(range(0, 20), ints(receiveExactly(high, 20, 500, "priority-10 consumer"), "i"), "priority-10 consumer's messages");
            Message m = low.receive(1000);
            check(m == null, "priority-0 consumer got a message while a priority-10 one had room: " + describe(m));
            high.close();
            sendNumbered(ps, ps.createQueue(qn), 20, 25);
            eq(range(20, 25), ints(receiveExactly(low, 5, 500, "priority-0 consumer alone"), "i"), "priority-0 consumer's messages");
        }
    }

    /**
     * A priority-10 consumer whose prefetch (consumer.prefetchSize=2) is full does not hold up the
     * queue: of 10 messages sent while neither reads, it holds the first 2 and the priority-0
     * consumer gets the other 8.
     */
    static void consumerPriorityOverflow() throws Exception {
        try (Conns k = new Conns()) {
            String qn = name("cprio_full");
            Session sl = k.session("");
            MessageConsumer low = sl.createConsumer(sl.createQueue(qn));
            Session sh = k.session("");
            MessageConsumer high = sh.createConsumer(sh.createQueue(qn + "?consumer.priority=10&consumer.prefetchSize=2"));
            Session ps = k.session("");
            sendNumbered(ps, ps.createQueue(qn), 0, 10);
            eq(range(2, 10), ints(receiveExactly(low, 8, 1000, "priority-0 consumer"), "i"), "priority-0 consumer's messages");
            eq(range(0, 2), ints(receiveExactly(high, 2, 1000, "priority-10 consumer"), "i"), "priority-10 consumer's messages");
        }
    }

    /**
     * queue?consumer.prefetchSize=1 is honoured: of 20 messages sent while it and a default
     * consumer (prefetch 1000) are both open, the prefetch-1 consumer that does not read holds
     * exactly one; the other gets the remaining 19.
     */
    static void destinationOptionsPrefetch() throws Exception {
        try (Conns k = new Conns()) {
            String qn = name("opts");
            Session s1 = k.session("");
            MessageConsumer one = s1.createConsumer(s1.createQueue(qn + "?consumer.prefetchSize=1"));
            Session sd = k.session("");
            MessageConsumer dflt = sd.createConsumer(sd.createQueue(qn));
            Session ps = k.session("");
            sendNumbered(ps, ps.createQueue(qn), 0, 20);
            List<Integer> gotD = ints(receiveExactly(dflt, 19, 1000, "default-prefetch consumer"), "i");
            List<Integer> gotOne = ints(receiveExactly(one, 1, 1000, "prefetch-1 consumer"), "i");
            Set<Integer> all = new HashSet<>(gotD);
            all.addAll(gotOne);
            eq(new HashSet<>(range(0, 20)), all, "every message once");
            check(gotOne.get(0) <= 1, "the prefetch-1 consumer's one message is one of the first two sent, was " + gotOne);
        }
    }

    // ------------------------------------------------------------------ virtual destinations

    /**
     * Publishing to topic VirtualTopic.Orders fans out to queues Consumer.A.VirtualTopic.Orders
     * (two competing consumers: each message once, both used) and Consumer.B.VirtualTopic.Orders
     * (every message, in order); a plain topic subscriber still gets every message too.
     */
    static void virtualTopic() throws Exception {
        try (Conns k = new Conns()) {
            String vt = "VirtualTopic.Orders";
            Collector a1 = new Collector("A1"), a2 = new Collector("A2"), b = new Collector("B"), t = new Collector("T");
            Session s1 = k.session("");
            s1.createConsumer(s1.createQueue("Consumer.A." + vt)).setMessageListener(a1);
            Session s2 = k.session("");
            s2.createConsumer(s2.createQueue("Consumer.A." + vt)).setMessageListener(a2);
            Session s3 = k.session("");
            s3.createConsumer(s3.createQueue("Consumer.B." + vt)).setMessageListener(b);
            Session s4 = k.session("");
            s4.createConsumer(s4.createTopic(vt)).setMessageListener(t);
            Session ps = k.session("");
            MessageProducer p = ps.createProducer(ps.createTopic(vt));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < 20; i++) {
                TextMessage m = ps.createTextMessage("order " + i);
                m.setIntProperty("i", i);
                p.send(m);
            }
            awaitTotal(List.of(a1, a2, b, t), 60, 15_000, "virtual topic fan-out");
            Thread.sleep(500);
            List<Integer> ga1, ga2, gb, gt;
            synchronized (COUNT_LOCK) {
                ga1 = ints(a1.got, "i"); ga2 = ints(a2.got, "i"); gb = ints(b.got, "i"); gt = ints(t.got, "i");
            }
            log("A1 " + ga1 + " A2 " + ga2);
            eq(range(0, 20), gb, "Consumer.B queue gets every message in order");
            eq(range(0, 20), gt, "plain topic subscriber gets every message in order");
            check(!ga1.isEmpty() && !ga2.isEmpty(), "both consumers of Consumer.A share the work: " + ga1 + " / " + ga2);
            List<Integer> ga = new ArrayList<>(ga1);
            ga.addAll(ga2);
            Collections.sort(ga);
            eq(range(0, 20), ga, "Consumer.A's two consumers together get each message exactly once");
            eq(new ArrayList<>(new java.util.TreeSet<>(ga1)), ga1, "A1 in order");
            eq(new ArrayList<>(new java.util.TreeSet<>(ga2)), ga2, "A2 in order");
        }
    }

    /**
     * What virtual topics are for: a consumer queue (Consumer.C.VirtualTopic.Offline) keeps the
     * persistent messages published while nobody consumes from it, across a broker restart.
     */
    static void virtualTopicOffline() throws Exception {
        String vt = "VirtualTopic.Offline";
        try (Conns k = new Conns()) {
            Session s = k.session("");
            s.createConsumer(s.createQueue("Consumer.C." + vt)).close();
            MessageProducer p = s.createProducer(s.createTopic(vt));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < 5; i++) {
                TextMessage m = s.createTextMessage("offline " + i);
                m.setIntProperty("i", i);
                p.send(m);
            }
        }
        broker("restart");
        try (Conns k = new Conns()) {
            Session s = k.session("");
            List<Message> got = receiveExactly(s.createConsumer(s.createQueue("Consumer.C." + vt)), 5, 1000,
                    "Consumer.C queue after the restart");
            eq(range(0, 5), ints(got, "i"), "messages kept for the offline consumer queue");
            eq("offline 0", ((TextMessage) got.get(0)).getText(), "body");
            eq(DeliveryMode.PERSISTENT, got.get(0).getJMSDeliveryMode(), "delivery mode");
        }
    }

    /**
     * A compositeQueue from the XML configuration (IT.Composite.In forwarding to queue
     * IT.Composite.OutQ and topic IT.Composite.OutT): a send to it reaches both, in order, and
     * nothing stays on IT.Composite.In (forwardOnly defaults to true).
     */
    static void compositeDestination() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            MessageConsumer t = s.createConsumer(s.createTopic(COMPOSITE_T));
            MessageProducer p = s.createProducer(s.createQueue(COMPOSITE_IN));
            for (int i = 0; i < 5; i++) {
                TextMessage m = s.createTextMessage("composite " + i + " " + RUN);
                m.setIntProperty("i", i);
                p.send(m);
            }
            eq(range(0, 5), ints(receiveExactly(t, 5, 500, "topic " + COMPOSITE_T), "i"), "topic part");
            List<Message> qm = receiveExactly(s.createConsumer(s.createQueue(COMPOSITE_Q)), 5, 500, "queue " + COMPOSITE_Q);
            eq(range(0, 5), ints(qm, "i"), "queue part");
            eq("composite 0 " + RUN, ((TextMessage) qm.get(0)).getText(), "body through the composite");
            Message kept = s.createConsumer(s.createQueue(COMPOSITE_IN)).receive(1000);
            check(kept == null, "the composite queue itself kept a message: " + describe(kept));
        }
    }

    /**
     * A compositeQueue with a filteredDestination (selector color = 'red' to IT.Composite.Red)
     * next to a plain queue (IT.Composite.All): the filtered part gets only the red messages, the
     * plain part all.
     */
    static void compositeFiltered() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            MessageProducer p = s.createProducer(s.createQueue("IT.Composite.Filter"));
            String[] colors = { "red", "blue", "red", null };
            for (int i = 0; i < colors.length; i++) {
                TextMessage m = s.createTextMessage("c" + i);
                m.setIntProperty("i", i);
                if (colors[i] != null) m.setStringProperty("color", colors[i]);
                p.send(m);
            }
            eq(List.of(0, 2), ints(receiveExactly(s.createConsumer(s.createQueue("IT.Composite.Red")), 2, 1000, "filtered part"), "i"),
                    "red messages through the filteredDestination");
            eq(range(0, 4), ints(receiveExactly(s.createConsumer(s.createQueue("IT.Composite.All")), 4, 500, "plain part"), "i"),
                    "every message to the plain part");
        }
    }

    /**
     * A compositeTopic (IT.CompositeTopic.In forwarding to queue IT.CompositeTopic.OutQ) turns each
     * publication into a queued message, kept until a consumer comes.
     */
    static void compositeTopic() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            MessageProducer tp = s.createProducer(s.createTopic("IT.CompositeTopic.In"));
            for (int i = 0; i < 3; i++) {
                TextMessage m = s.createTextMessage("t" + i);
                m.setIntProperty("i", i);
                tp.send(m);
            }
            eq(range(0, 3), ints(receiveExactly(s.createConsumer(s.createQueue("IT.CompositeTopic.OutQ")), 3, 500, "composite topic's queue"), "i"),
                    "publications kept on the composite topic's queue");
        }
    }

    // ------------------------------------------------------------------ statistics plugin

    /** Sends a statistics request to dest with a temp-queue JMSReplyTo; returns all replies within quietMs. */
    static List<MapMessage> statsRequest(Session s, String dest, String corr, boolean endMarker, int expected) throws JMSException {
        TemporaryQueue reply = s.createTemporaryQueue();
        MessageConsumer rc = s.createConsumer(reply);
        Message req = s.createMessage();
        req.setJMSReplyTo(reply);
        req.setJMSCorrelationID(corr);
        if (endMarker) req.setBooleanProperty("ActiveMQ.Statistics.Destination.List.End.With.Null", true);
        s.createProducer(s.createQueue(dest)).send(req);
        List<MapMessage> out = new ArrayList<>();
        while (out.size() < expected) {
            Message m = rc.receive(10_000);
            check(m != null, "only " + out.size() + " of " + expected + " statistics replies from " + dest);
            check(m instanceof MapMessage, "statistics reply is a MapMessage, was " + m.getClass().getSimpleName());
            eq(corr, m.getJMSCorrelationID(), "statistics reply JMSCorrelationID");
            out.add((MapMessage) m);
        }
        Message extra = rc.receive(1000);
        check(extra == null, "more statistics replies than " + expected + " from " + dest);
        rc.close();
        return out;
    }

    static Set<String> mapNames(MapMessage m) throws JMSException {
        Set<String> names = new java.util.TreeSet<>();
        for (java.util.Enumeration<?> e = m.getMapNames(); e.hasMoreElements(); ) names.add((String) e.nextElement());
        return names;
    }

    static long num(MapMessage m, String key) throws JMSException {
        check(m.itemExists(key), "statistics reply has " + key + " (has " + mapNames(m) + ")");
        return m.getLong(key);
    }




}
