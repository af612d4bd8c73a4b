package hermodit.failover;

import hermodit.Suite;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.TransactionRolledBackException;
import javax.jms.XAConnection;
import javax.jms.XASession;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQXAConnectionFactory;
import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.command.ConnectionId;
import org.apache.activemq.command.ConnectionInfo;
import org.apache.activemq.command.ProducerId;
import org.apache.activemq.command.ProducerInfo;
import org.apache.activemq.command.SessionId;
import org.apache.activemq.command.SessionInfo;
import org.apache.activemq.command.Command;
import org.apache.activemq.command.ExceptionResponse;
import org.apache.activemq.command.RemoveInfo;
import org.apache.activemq.transport.Transport;

/**
 * The primary/replica pair through the real ActiveMQ JMS client on a failover: URL: two brokers
 * on one store (hermod: a lease file; the reference: two ActiveMQ 5.17 brokers on one KahaDB
 * directory with a shared-file-locker).  pairctl.sh starts, kills, pauses and checks them.
 *
 * What every test holds the brokers to: a message whose send (or commit) returned is delivered
 * exactly once; one whose send was in doubt at most once; the store verifies clean at the end.
 */
public class FailoverSuite {
    static final String RUN = System.getProperty("it.run");
    static final String CTL = System.getProperty("it.ctl");
    static final int PORT_A = Integer.getInteger("it.portA");
    static final int PORT_B = Integer.getInteger("it.portB");
    static final boolean REF = "1".equals(System.getProperty("it.ref"));
    static final int LEASE_MS = Integer.getInteger("it.leaseMs");
    static final int SOAK = Integer.getInteger("it.soak", 20);

    static String url(String extra) {
        return "failover:(tcp://127.0.0.1:" + PORT_A + ",tcp://127.0.0.1:" + PORT_B + ")"
                + "?randomize=false&initialReconnectDelay=50&maxReconnectDelay=500" + extra;
    }

    static String direct(String name) {
        return "tcp://127.0.0.1:" + (name.equals("a") ? PORT_A : PORT_B)
                + "?wireFormat.maxInactivityDuration=3000";
    }

    // ---- the pair ----

    static String ctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("bash");
        cmd.add(CTL);
        cmd.add(RUN);
        for (String a : args) cmd.add(a);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder sb = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null) sb.append(line);
            out = sb.toString().trim();
        }
        int rc = p.waitFor();
        if (rc != 0) throw new IllegalStateException("pairctl " + String.join(" ", args) + " failed (" + rc + ")");
        return out;
    }

    static boolean ctlOk(String... args) {
        try { ctl(args); return true; } catch (Exception e) { return false; }
    }

    static String other(String n) { return n.equals("a") ? "b" : "a"; }

    /** A fresh pair: a serves, b waits; returns "a". */
    static String fresh() throws Exception {
        ctl("fresh");
        return ctl("primary", "60");
    }

    /** Crashes the primary, brings it back as the standby, returns the new primary. */
    static String crashPrimary(String primary) throws Exception {
        ctl("kill9", primary);
        String now = ctl("primary", "60");
        Suite.check(now.equals(other(primary)), "after kill -9 of " + primary + " the primary is " + now);
        ctl("start", primary);
        return now;
    }

    static String http(String u) throws Exception {
        java.net.HttpURLConnection h = (java.net.HttpURLConnection) new java.net.URL(u).openConnection();
        try (java.io.InputStream in = h.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Starts sender and crashes the primary each time its progress reaches one of cuts; waits
     * for the sender to finish. */
    static void crashesUnder(Thread sender, AtomicBoolean done, AtomicInteger progress, String primary,
                             int... cuts) throws Exception {
        sender.start();
        for (int cut : cuts) {
            while (progress.get() < cut && !done.get()) Thread.sleep(5);
            primary = crashPrimary(primary);
        }
        sender.join(120_000);
        Suite.check(done.get(), "the sender did not finish");
    }

    static String log(String name) throws Exception {
        return new String(Files.readAllBytes(Paths.get(RUN, name, "broker.log")), StandardCharsets.UTF_8);
    }

    // ---- clients ----

    static Connection connect(String u) throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(u);
        f.setWatchTopicAdvisories(false);
        Connection c = f.createConnection();
        c.start();
        return c;
    }

    /** Sends n persistent text messages "seq" = from..from+n-1 synchronously; returns those confirmed. */
    static int sendRange(MessageProducer p, Session s, int from, int n, Set<Integer> confirmed,
                         AtomicInteger progress) throws JMSException {
        for (int i = from; i < from + n; i++) {
            TextMessage m = s.createTextMessage("m" + i);
            m.setIntProperty("seq", i);
            p.send(m);
            confirmed.add(i);
            if (progress != null) progress.set(i);
        }
        return confirmed.size();
    }

    /** Receives everything on q (until quiet for quietMs), counting each seq. */
    static Map<Integer, Integer> drain(String u, String q, long quietMs) throws JMSException {
        Map<Integer, Integer> seen = new HashMap<>();
        Connection c = connect(u);
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            Message m;
            while ((m = mc.receive(quietMs)) != null)
                seen.merge(m.getIntProperty("seq"), 1, Integer::sum);
        } finally {
            c.close();
        }
        return seen;
    }

    /** Every confirmed seq exactly once; anything else (sent but in doubt) at most once. */
    static void exactlyOnce(Set<Integer> confirmed, Map<Integer, Integer> seen, Set<Integer> maybe) {
        List<Integer> lost = new ArrayList<>(), twice = new ArrayList<>(), stray = new ArrayList<>();
        for (int i : confirmed) if (!seen.containsKey(i)) lost.add(i);
        for (Map.Entry<Integer, Integer> e : seen.entrySet()) {
            if (e.getValue() > 1) twice.add(e.getKey());
            if (!confirmed.contains(e.getKey()) && (maybe == null || !maybe.contains(e.getKey())))
                stray.add(e.getKey());
        }
        Suite.log("confirmed " + confirmed.size() + ", received " + seen.size() + " distinct");
        Suite.check(lost.isEmpty(), "confirmed messages lost: " + head(lost));
        Suite.check(twice.isEmpty(), "messages delivered twice: " + head(twice));
        Suite.check(stray.isEmpty(), "messages never sent: " + head(stray));
    }

    static String head(List<Integer> l) {
        return l.size() + " " + (l.size() > 20 ? l.subList(0, 20) + "..." : l.toString());
    }

    static void verifyStore() throws Exception {
        Suite.check(ctlOk("verify"), "hermod store verify reports problems (see the details log)");
    }

    // ---- tests ----

    /** kill -9 of the primary twice under synchronous persistent sends. */
    static void kill9SyncSends() throws Exception {
        String primary = fresh();
        Set<Integer> confirmed = new HashSet<>();
        Connection c = connect(url(""));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue("FO.KILL"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        AtomicInteger progress = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        Thread sender = new Thread(() -> {
            try { sendRange(p, s, 0, 3000, confirmed, progress); } catch (JMSException e) { Suite.log("send: " + e); }
            done.set(true);
        });
        crashesUnder(sender, done, progress, primary, 800, 1800);
        c.close();
        Set<Integer> maybe = new HashSet<>();
        for (int i = 0; i < 3000; i++) maybe.add(i);
        exactlyOnce(confirmed, drain(url(""), "FO.KILL", 3000), maybe);
        Suite.eq(3000, confirmed.size(), "sends confirmed (the failover transport resends in-flight ones)");
        verifyStore();
    }

    /**
     * The primary paused for three leases: the standby takes over and serves; once resumed, the
     * old primary stops serving within 2 s and writes nothing (what the new primary confirmed is
     * all there and the store verifies).
     */
    static void sigstopFenced() throws Exception {
        String a = fresh();
        String b = other(a);
        // a stream of asynchronous sends to a, so it has unanswered work when paused
        Connection ca = connect(direct(a) + "&jms.useAsyncSend=true");
        Session sa = ca.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer pa = sa.createProducer(sa.createQueue("FO.PAUSE.ASYNC"));
        pa.setDeliveryMode(DeliveryMode.PERSISTENT);
        for (int i = 0; i < 200; i++) {
            TextMessage m = sa.createTextMessage("early" + i);
            m.setIntProperty("seq", i);
            pa.send(m);
        }
        ctl("pause", a);
        long paused = System.nanoTime();
        // while paused the client's socket buffer takes more of them
        Thread more = new Thread(() -> {
            try {
                for (int i = 200; i < 400; i++) {
                    TextMessage m = sa.createTextMessage("late" + i);
                    m.setIntProperty("seq", i);
                    pa.send(m);
                }
            } catch (JMSException e) { /* the connection goes when a is fenced */ }
        });
        more.setDaemon(true);
        more.start();
        String now = ctl("primary", "30");
        Suite.eq(b, now, "the broker serving while " + a + " is paused");
        Set<Integer> confirmed = new HashSet<>();
        Connection cb = connect(direct(b));
        Session sb = cb.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer pb = sb.createProducer(sb.createQueue("FO.PAUSE"));
        pb.setDeliveryMode(DeliveryMode.PERSISTENT);
        sendRange(pb, sb, 0, 500, confirmed, null);
        long left = 3L * LEASE_MS - (System.nanoTime() - paused) / 1_000_000;
        if (left > 0) Thread.sleep(left);
        ctl("resume", a);
        long resumed = System.nanoTime();
        boolean stopped = false;
        while ((System.nanoTime() - resumed) / 1_000_000 < 2000) {
            if (!ctlOk("serving", a)) { stopped = true; break; }
            Thread.sleep(20);
        }
        Suite.check(stopped, a + " still accepts connections 2 s after it was resumed");
        Suite.log(a + " stopped serving " + (System.nanoTime() - resumed) / 1_000_000 + " ms after SIGCONT");
        if (!REF) {
            Suite.check(log(a).contains("fenced"), a + " does not log that it was fenced");
            long until = System.nanoTime() + 10_000_000_000L;     // its new image starts as standby
            while (!log(a).contains("standby: the store's lease file is taken") && System.nanoTime() < until)
                Thread.sleep(50);
            Suite.check(log(a).contains("standby: the store's lease file is taken"), a + " is not back as standby");
        }
        // b goes on serving and confirming
        sendRange(pb, sb, 500, 100, confirmed, null);
        cb.close();
        try { ca.close(); } catch (JMSException e) { /* gone */ }
        Suite.eq(b, ctl("primary", "5"), "the primary after " + a + " was fenced");
        exactlyOnce(confirmed, drain(direct(b), "FO.PAUSE", 2000), null);
        verifyStore();
    }

    /**
     * The reference's side of the pause: ActiveMQ's shared-file-locker is an OS file lock, which
     * a paused process keeps, so its standby never takes over while the primary is paused (for
     * three leases here), and the primary simply carries on once resumed.  (hermod's lease lapses
     * instead: sigstop_primary_fenced_writes_nothing.)
     */
    static void sigstopStandbyWaits() throws Exception {
        String a = fresh();
        Set<Integer> confirmed = new HashSet<>();
        Connection c = connect(url(""));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue("FO.PAUSE"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        sendRange(p, s, 0, 100, confirmed, null);
        ctl("pause", a);
        Thread.sleep(3L * LEASE_MS + 2000);
        boolean someoneServes = ctlOk("primary", "1");
        ctl("resume", a);
        Suite.check(!someoneServes, "the standby took over while the primary was paused");
        Suite.eq(a, ctl("primary", "10"), "the primary after it was resumed");
        sendRange(p, s, 100, 100, confirmed, null);
        c.close();
        exactlyOnce(confirmed, drain(url(""), "FO.PAUSE", 2000), null);
    }

    /** A renewal that stalls (a stalled disk under the lease file) or fails (a lease file that
     * cannot be written): the primary fences itself before its lease can have lapsed, the standby
     * takes over only after. hermod's fault seam. */
    static void renewalFaultFences(String fault) throws Exception {
        String a = fresh();
        String b = other(a);
        Connection c = connect(url(""));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue("FO.STALL"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        Set<Integer> confirmed = new HashSet<>();
        sendRange(p, s, 0, 200, confirmed, null);
        Files.write(Paths.get(RUN, "fault-" + a), fault.getBytes(StandardCharsets.UTF_8));
        long stalled = System.nanoTime();
        // a goes on until its deadline, then stops serving; b takes over and serves; the sender
        // carries on through the failover
        sendRange(p, s, 200, 100, confirmed, null);
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!ctlOk("serving", b) && System.nanoTime() < deadline) Thread.sleep(20);
        Suite.check(ctlOk("serving", b), b + " does not serve 15 s after " + a + "'s renewal stalled");
        sendRange(p, s, 300, 200, confirmed, null);
        Files.deleteIfExists(Paths.get(RUN, "fault-" + a));
        Suite.eq(b, ctl("primary", "10"), "the primary after the stalled renewal");
        String la = log(a), lb = log(b);
        String fencedAt = stamp(la, "fenced:"), takenAt = stamp(lb, "lease: taken with epoch 2");
        Suite.check(fencedAt != null && takenAt != null, "fence or take-over not logged");
        Suite.log(fault + " at +0; " + a + " fenced at " + fencedAt + ", " + b + " took the lease at " + takenAt);
        Suite.check(fencedAt.compareTo(takenAt) < 0, a + " was fenced only after " + b + " took the lease");
        Suite.check((System.nanoTime() - stalled) / 1_000_000 < 30_000, "slow");
        c.close();
        exactlyOnce(confirmed, drain(url(""), "FO.STALL", 2000), null);
        verifyStore();
    }

    /** The timestamp of the first log line containing what (log lines start with an ISO time). */
    static String stamp(String log, String what) {
        for (String line : log.split("\n"))
            if (line.contains(what)) return line.substring(0, Math.min(24, line.length()));
        return null;
    }

    /** SIGTERM on the primary hands over: the standby serves well before a lease could lapse. */
    static void sigtermHandover() throws Exception {
        String a = fresh();
        String b = other(a);
        Connection c = connect(url(""));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue("FO.TERM"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        Set<Integer> confirmed = new HashSet<>();
        AtomicInteger progress = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        Thread sender = new Thread(() -> {
            try { sendRange(p, s, 0, 2000, confirmed, progress); } catch (JMSException e) { Suite.log("send: " + e); }
            done.set(true);
        });
        sender.start();
        while (progress.get() < 500 && !done.get()) Thread.sleep(5);
        long t0 = System.nanoTime();
        ctl("term", a);
        String now = ctl("primary", "30");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Suite.eq(b, now, "the primary after SIGTERM of " + a);
        Suite.log("SIGTERM of " + a + " -> " + b + " serving in " + ms + " ms (lease " + LEASE_MS + " ms)");
        if (!REF) {
            // at once: the standby takes the released lease at its next look, not after a lapse
            // (the rest of the time above is its store recovery and the client's reconnection)
            String released = stamp(log(a), "lease: released"), taken = stamp(log(b), "lease: taken with epoch 2");
            Suite.check(released != null && taken != null, "release or take-over not logged");
            long gap = java.time.Instant.parse(taken).toEpochMilli() - java.time.Instant.parse(released).toEpochMilli();
            Suite.log(a + " released the lease at " + released + ", " + b + " took it " + gap + " ms later");
            Suite.check(gap < LEASE_MS / 2, "the standby took the released lease only " + gap + " ms later");
            // the new primary's metrics name its lease: held, epoch 2
            String metrics = http("http://127.0.0.1:" + ((b.equals("a") ? PORT_A : PORT_B) + 2) + "/metrics");
            Suite.check(metrics.contains("\nhermod_lease_primary 1\n"), "hermod_lease_primary is not 1");
            Suite.check(metrics.contains("\nhermod_lease_epoch 2\n"), "hermod_lease_epoch is not 2");
        }
        sender.join(60_000);
        Suite.check(done.get(), "the sender did not finish");
        c.close();
        exactlyOnce(confirmed, drain(url(""), "FO.TERM", 2000), null);
        Suite.eq(2000, confirmed.size(), "sends confirmed");
        verifyStore();
    }

    /**
     * Transacted batches of 10 through two kill -9 failovers: a batch whose commit returned is
     * there exactly once, whole; a batch whose commit failed (TransactionRolledBackException, the
     * outcome in doubt) is there whole or not at all, never in part, never twice.
     */
    static void transactedFailover() throws Exception {
        String primary = fresh();
        Connection c = connect(url(""));
        Session s = c.createSession(true, Session.SESSION_TRANSACTED);
        MessageProducer p = s.createProducer(s.createQueue("FO.TX"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        Set<Integer> committed = new HashSet<>(), doubt = new HashSet<>();
        AtomicInteger batch = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        int batches = 150;
        Thread sender = new Thread(() -> {
            for (int b = 0; b < batches; b++) {
                try {
                    for (int i = 0; i < 10; i++) {
                        TextMessage m = s.createTextMessage("b" + b);
                        m.setIntProperty("seq", b * 10 + i);
                        p.send(m);
                    }
                    s.commit();
                    committed.add(b);
                } catch (TransactionRolledBackException e) {
                    doubt.add(b);
                    Suite.log("batch " + b + ": " + e.getMessage());
                } catch (JMSException e) {
                    doubt.add(b);
                    Suite.log("batch " + b + ": " + e);
                    try { s.rollback(); } catch (JMSException e2) { /* gone */ }
                }
                batch.set(b);
            }
            done.set(true);
        });
        crashesUnder(sender, done, batch, primary, 40, 100);
        c.close();
        Map<Integer, Integer> seen = drain(url(""), "FO.TX", 3000);
        Map<Integer, Integer> perBatch = new HashMap<>();
        for (Map.Entry<Integer, Integer> e : seen.entrySet()) {
            Suite.check(e.getValue() == 1, "message " + e.getKey() + " delivered " + e.getValue() + " times");
            perBatch.merge(e.getKey() / 10, 1, Integer::sum);
        }
        for (int b : committed) Suite.eq(10, perBatch.getOrDefault(b, 0), "messages of committed batch " + b);
        for (int b : doubt) {
            int n = perBatch.getOrDefault(b, 0);
            Suite.check(n == 0 || n == 10, "in-doubt batch " + b + " is there in part: " + n + " of 10");
        }
        Suite.log(committed.size() + " committed, " + doubt.size() + " in doubt");
        Suite.check(committed.size() >= batches - 4, "too few batches committed: " + committed.size());
        verifyStore();
    }

    /** A prepared XA branch survives a kill -9 take-over: the new primary lists it in recover()
     * and commits it. */
    static void xaPreparedSurvives() throws Exception {
        String a = fresh();
        ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory(direct(a));
        XAConnection xc = f.createXAConnection();
        xc.start();
        XASession xs = xc.createXASession();
        XAResource xr = xs.getXAResource();
        Xid xid = new SimpleXid(0x1234, "fo-gtrid-" + System.nanoTime(), "b1");
        xr.start(xid, XAResource.TMNOFLAGS);
        MessageProducer p = xs.getSession().createProducer(xs.getSession().createQueue("FO.XA"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        for (int i = 0; i < 5; i++) {
            TextMessage m = xs.getSession().createTextMessage("x" + i);
            m.setIntProperty("seq", i);
            p.send(m);
        }
        xr.end(xid, XAResource.TMSUCCESS);
        Suite.eq(XAResource.XA_OK, xr.prepare(xid), "prepare");
        String b = crashPrimary(a);
        try { xc.close(); } catch (JMSException e) { /* a is gone */ }
        ActiveMQXAConnectionFactory fb = new ActiveMQXAConnectionFactory(direct(b));
        XAConnection xb = fb.createXAConnection();
        xb.start();
        XAResource rb = xb.createXASession().getXAResource();
        Xid[] listed = rb.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
        Xid found = null;
        for (Xid x : listed)
            if (java.util.Arrays.equals(x.getGlobalTransactionId(), xid.getGlobalTransactionId())) found = x;
        Suite.check(found != null, "recover() on the new primary does not list the prepared branch (" + listed.length + " listed)");
        Suite.eq(0, drain(direct(b), "FO.XA", 500).size(), "messages of the prepared branch visible before commit");
        rb.commit(found, false);
        xb.close();
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < 5; i++) all.add(i);
        exactlyOnce(all, drain(direct(b), "FO.XA", 1000), null);
        verifyStore();
    }

    /**
     * The producer audit: a persistent send repeated with the same producer id and sequence
     * number (what a failover transport does with a send whose receipt was lost) is confirmed but
     * not delivered twice -- on the same broker, and on the new primary after a take-over.
     */
    static void duplicateSendDropped() throws Exception {
        String a = fresh();
        ActiveMQConnection c1 = (ActiveMQConnection) connect(direct(a));
        Session s = c1.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue("FO.DUP");
        MessageProducer p = s.createProducer(q);
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        List<ActiveMQMessage> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TextMessage m = s.createTextMessage("d" + i);
            m.setIntProperty("seq", i);
            p.send(m);                  // the client stamps m with its MessageId
            sent.add((ActiveMQMessage) m);
        }
        resend(c1, sent.get(2));        // the same broker
        String b = crashPrimary(a);
        try { c1.close(); } catch (JMSException e) { /* a is gone */ }
        // as a failover transport does on its new socket: the same connection, session and
        // producer ids declared again, then the sends whose receipts it never got
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(direct(b));
        ActiveMQConnection c2 = (ActiveMQConnection) f.createConnection();   // not started: no ConnectionInfo of its own
        Transport t = c2.getTransportChannel();
        ProducerId old = sent.get(0).getMessageId().getProducerId();
        ConnectionInfo ci = new ConnectionInfo(new ConnectionId(old.getConnectionId()));
        ci.setClientId("replayed-" + System.nanoTime());
        request(t, ci);
        request(t, new SessionInfo(new SessionId(ci.getConnectionId(), old.getSessionId())));
        ProducerInfo pi = new ProducerInfo(old);
        pi.setDestination((ActiveMQDestination) q);
        request(t, pi);
        for (ActiveMQMessage m : sent) {
            ActiveMQMessage again = (ActiveMQMessage) m.copy();
            again.setProducerId(old);
            again.setPersistent(true);
            request(t, again);
        }
        request(t, new RemoveInfo(ci.getConnectionId()));
        c2.close();
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < 3; i++) all.add(i);
        exactlyOnce(all, drain(direct(b), "FO.DUP", 1000), null);
        verifyStore();
    }

    /** Sends a command on the transport and waits for its answer; an error answer throws. */
    static void request(Transport t, Command cmd) throws Exception {
        cmd.setResponseRequired(true);
        Object r = t.request(cmd, 10_000);
        if (r instanceof ExceptionResponse) throw new AssertionError(cmd.getClass().getSimpleName()
                + " refused: " + ((ExceptionResponse) r).getException());
        Suite.check(r != null, cmd.getClass().getSimpleName() + ": no answer within 10 s");
    }

    /** Sends m again as its producer sent it: same MessageId, same producer id. */
    static void resend(ActiveMQConnection c, ActiveMQMessage m) throws JMSException {
        ActiveMQMessage again = (ActiveMQMessage) m.copy();
        again.setProducerId(m.getMessageId().getProducerId());
        again.setPersistent(true);
        c.syncSendPacket(again);
    }

    /** SOAK alternating kill -9 failovers under a producer and a consumer. */
    static void soakKill9() throws Exception {
        String primary = fresh();
        Set<Integer> confirmed = java.util.Collections.synchronizedSet(new HashSet<>());
        Map<Integer, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger progress = new AtomicInteger();
        Connection pc = connect(url(""));
        Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = ps.createProducer(ps.createQueue("FO.SOAK"));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        Connection cc = connect(url(""));
        Session cs = cc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer mc = cs.createConsumer(cs.createQueue("FO.SOAK"));
        Thread sender = new Thread(() -> {
            int i = 0;
            try {
                while (!stop.get()) {
                    TextMessage m = ps.createTextMessage("s" + i);
                    m.setIntProperty("seq", i);
                    p.send(m);
                    confirmed.add(i);
                    progress.set(++i);
                }
            } catch (JMSException e) { Suite.log("send: " + e); }
        });
        Thread receiver = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Message m = mc.receive(200);
                    if (m != null) seen.merge(m.getIntProperty("seq"), 1, Integer::sum);
                }
            } catch (JMSException e) { Suite.log("receive: " + e); }
        });
        sender.start();
        receiver.start();
        for (int k = 0; k < SOAK; k++) {
            int before = progress.get();
            long t0 = System.nanoTime();
            while (progress.get() < before + 100 && (System.nanoTime() - t0) < 20_000_000_000L) Thread.sleep(10);
            Suite.check(progress.get() >= before + 100, "no progress after failover " + k);
            primary = crashPrimary(primary);
        }
        int before = progress.get();
        while (progress.get() < before + 100) Thread.sleep(10);
        stop.set(true);
        sender.join(30_000);
        receiver.join(30_000);
        pc.close();
        cc.close();
        for (Map.Entry<Integer, Integer> e : drain(url(""), "FO.SOAK", 2000).entrySet())
            seen.merge(e.getKey(), e.getValue(), Integer::sum);
        Set<Integer> maybe = new HashSet<>();
        for (int i = 0; i <= progress.get(); i++) maybe.add(i);
        Suite.log(SOAK + " failovers");
        exactlyOnce(confirmed, seen, maybe);
        verifyStore();
    }

    static final class SimpleXid implements Xid {
        final int format; final byte[] g, b;
        SimpleXid(int format, String g, String b) {
            this.format = format;
            this.g = g.getBytes(StandardCharsets.UTF_8);
            this.b = b.getBytes(StandardCharsets.UTF_8);
        }
        public int getFormatId() { return format; }
        public byte[] getGlobalTransactionId() { return g; }
        public byte[] getBranchQualifier() { return b; }
    }

    public static void main(String[] args) throws Exception {
        Suite suite = new Suite(120);
        suite.add("kill9_sync_sends_exactly_once", FailoverSuite::kill9SyncSends);
        if (REF) suite.add("sigstop_primary_paused_standby_waits", FailoverSuite::sigstopStandbyWaits);
        else suite.add("sigstop_primary_fenced_writes_nothing", FailoverSuite::sigstopFenced);
        if (!REF) {
            suite.add("stalled_renewal_fences_before_lapse", () -> renewalFaultFences("stall"));
            suite.add("failing_renewal_fences_before_lapse", () -> renewalFaultFences("fail"));
        }
        suite.add("sigterm_hands_over_at_once", FailoverSuite::sigtermHandover);
        suite.add("transacted_batches_through_failover", FailoverSuite::transactedFailover);
        suite.add("xa_prepared_branch_survives_takeover", FailoverSuite::xaPreparedSurvives);
        suite.add("duplicate_send_dropped_after_takeover", FailoverSuite::duplicateSendDropped);
        suite.add("soak_kill9_failovers", 60 + SOAK * 20, FailoverSuite::soakKill9);
        int failed = suite.run(args);
        try { ctl("stopall"); } catch (Exception e) { /* reported by run.sh */ }
        System.exit(failed == 0 ? 0 : 1);
    }
}
