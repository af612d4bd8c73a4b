package hermodit.tx;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import hermodit.Suite;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.Topic;
import javax.jms.XAConnection;
import javax.jms.XASession;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQXAConnectionFactory;
import org.apache.activemq.RedeliveryPolicy;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.command.ActiveMQQueue;

/**
 * Transactions (issue 5): local JMS transactions, XA through ActiveMQXAConnectionFactory, XA
 * recovery across a broker kill -9, a small transaction manager driving two XA resources with
 * crashes injected, and dead-letter queues. Judged only through what a JMS client observes.
 */
public final class TxSuite {
    static final int PORT = Integer.getInteger("it.port", 62800);
    static final int PROXY_PORT = Integer.getInteger("it.proxyPort", 62801);
    static final boolean REF = "1".equals(System.getProperty("it.ref"));
    static final String DLQ = "ActiveMQ.DLQ";

    private TxSuite() { }

    // ---------------------------------------------------------------- client plumbing

    static ActiveMQConnectionFactory cf(int port) {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port);
        noDelay(f.getRedeliveryPolicy());
        f.setWatchTopicAdvisories(false);
        return f;
    }

    static ActiveMQConnectionFactory cf() { return cf(PORT); }

    static ActiveMQXAConnectionFactory xcf() {
        ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory("tcp://127.0.0.1:" + PORT);
        noDelay(f.getRedeliveryPolicy());
        f.setWatchTopicAdvisories(false);
        return f;
    }

    // The client's default 1 s redelivery delay would only make the suite slower.
    static void noDelay(RedeliveryPolicy p) {
        p.setInitialRedeliveryDelay(0);
        p.setRedeliveryDelay(0);
    }

    static Connection open() throws JMSException {
        Connection c = cf().createConnection();
        c.start();
        return c;
    }

    static XAConnection xopen() throws JMSException {
        XAConnection c = xcf().createXAConnection();
        c.start();
        return c;
    }

    static void closeQuietly(Connection c) {
        if (c == null) return;
        try { c.close(); } catch (Exception e) { log("close: " + e); }
    }

    static Queue q(String name) { return new ActiveMQQueue(name); }

    static String text(Message m) throws JMSException {
        check(m != null, "expected a message, got none");
        check(m instanceof TextMessage, "expected a TextMessage, got " + m.getClass().getName());
        return ((TextMessage) m).getText();
    }

    /** Sends persistent text messages outside any transaction (each answered by the broker). */
    static void put(String queue, String... texts) throws JMSException {
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(q(queue));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (String t : texts) p.send(s.createTextMessage(t));
        } finally {
            c.close();
        }
    }

    /**
     * Consumes (auto-ack) everything a fresh connection gets from queue: the first receive waits
     * firstWaitMs (how long "nothing arrives" is believed), later ones 500 ms.
     */
    static List<String> drain(String queue, long firstWaitMs) throws JMSException {
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(q(queue));
            List<String> got = new ArrayList<>();
            Message m = mc.receive(firstWaitMs);
            while (m != null) {
                got.add(text(m));
                m = mc.receive(500);
            }
            return got;
        } finally {
            c.close();
        }
    }

    static List<String> sorted(List<String> l) {
        List<String> c = new ArrayList<>(l);
        Collections.sort(c);
        return c;
    }

    static int deliveryCount(Message m) throws JMSException { return m.getIntProperty("JMSXDeliveryCount"); }

    /** Runs body, requires an XAException with exactly code; logs the broker's message text. */
    static XAException expectXA(int code, String what, Suite.Body body) {
        XAException e = Suite.expectThrows(XAException.class, what, body);
        log(what + " -> XAException errorCode=" + e.errorCode + " message=" + e.getMessage()
                + (e.getCause() != null ? " cause=" + e.getCause() : ""));
        eq(code, e.errorCode, what + ": XAException.errorCode");
        return e;
    }

    /** The prepared branches the broker reports with our format id (a full TMSTARTRSCAN|TMENDRSCAN scan). */
    static Set<Xid> recover(XAResource xr, int format) throws XAException {
        Xid[] all = xr.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
        check(all != null, "recover() returned null");
        Set<Xid> mine = new HashSet<>();
        for (Xid x : all) {
            if (x.getFormatId() == format) mine.add(new TestXid(x.getFormatId(),
                    new String(x.getGlobalTransactionId(), java.nio.charset.StandardCharsets.UTF_8),
                    new String(x.getBranchQualifier(), java.nio.charset.StandardCharsets.UTF_8)));
        }
        return mine;
    }

    static Set<Xid> setOf(Xid... x) { return new HashSet<>(Arrays.asList(x)); }

    // ---------------------------------------------------------------- local transactions

    static void localSendCommit() throws Exception {
        String Q = "TX.L.SEND_COMMIT";
        Connection c = open();
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            eq(true, s.getTransacted(), "session transacted");
            MessageProducer p = s.createProducer(q(Q));
            for (int i = 1; i <= 3; i++) p.send(s.createTextMessage("m" + i));
            eq(list(), drain(Q, 1000), "nothing visible before commit");
            s.commit();
            eq(list("m1", "m2", "m3"), drain(Q, 5000), "all three after commit, in order");
        } finally {
            c.close();
        }
    }

    static void localSendRollback() throws Exception {
        String Q = "TX.L.SEND_ROLLBACK";
        Connection c = open();
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer p = s.createProducer(q(Q));
            p.send(s.createTextMessage("lost-1"));
            p.send(s.createTextMessage("lost-2"));
            s.rollback();
            p.send(s.createTextMessage("kept"));
            eq(list(), drain(Q, 1000), "nothing visible before the second commit");
            s.commit();
            eq(list("kept"), drain(Q, 5000), "only the committed message, the rolled-back ones never");
        } finally {
            c.close();
        }
        eq(list(), drain(Q, 1000), "still nothing after the producer's connection closed");
    }

    static void localReceiveCommit() throws Exception {
        String Q = "TX.L.RECV_COMMIT";
        put(Q, "r1", "r2", "r3");
        Connection c = open();
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer mc = s.createConsumer(q(Q));
            eq("r1", text(mc.receive(5000)), "first");
            eq("r2", text(mc.receive(5000)), "second");
            s.commit();
            mc.close();
        } finally {
            c.close();
        }
        // Only r3 was not part of the committed transaction (r3 may have been prefetched).
        eq(list("r3"), drain(Q, 5000), "committed receives are gone for good, the other stays");
    }

    static void localReceiveRollback() throws Exception {
        String Q = "TX.L.RECV_ROLLBACK";
        put(Q, "again");
        Connection c = open();
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer mc = s.createConsumer(q(Q));
            Message m = mc.receive(5000);
            eq("again", text(m), "first delivery");
            eq(false, m.getJMSRedelivered(), "first delivery JMSRedelivered");
            eq(1, deliveryCount(m), "first delivery JMSXDeliveryCount");
            s.rollback();
            m = mc.receive(5000);
            eq("again", text(m), "after rollback");
            eq(true, m.getJMSRedelivered(), "after rollback JMSRedelivered");
            eq(2, deliveryCount(m), "after rollback JMSXDeliveryCount");
            s.rollback();
            mc.close();
        } finally {
            c.close();
        }
        // The broker, not only the client's buffer, must still have it: a new connection gets it.
        Connection c2 = open();
        try {
            Session s = c2.createSession(true, Session.SESSION_TRANSACTED);
            Message m = s.createConsumer(q(Q)).receive(5000);
            eq("again", text(m), "another connection after two rollbacks");
            eq(true, m.getJMSRedelivered(), "another connection JMSRedelivered");
            // The client redelivers rolled-back messages from its own buffer; the broker counts
            // one failed delivery when the session closes with them unacknowledged (reference: 2).
            eq(2, deliveryCount(m), "another connection JMSXDeliveryCount");
            s.commit();
        } finally {
            c2.close();
        }
        eq(list(), drain(Q, 1000), "gone once committed");
    }

    static void localSeveralQueuesAndTopic() throws Exception {
        String Q1 = "TX.L.MULTI.Q1", Q2 = "TX.L.MULTI.Q2", T = "TX.L.MULTI.T";
        Connection sub = open();
        Connection c = open();
        try {
            Session ss = sub.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer tc = ss.createConsumer(ss.createTopic(T));
            MessageConsumer q1c = ss.createConsumer(q(Q1));
            MessageConsumer q2c = ss.createConsumer(q(Q2));
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer p = s.createProducer(null);
            Topic topic = s.createTopic(T);
            for (String round : list("rolled-back", "committed")) {
                p.send(q(Q1), s.createTextMessage(round + "-q1"));
                p.send(q(Q2), s.createTextMessage(round + "-q2"));
                p.send(topic, s.createTextMessage(round + "-t"));
                check(q1c.receive(700) == null, round + ": Q1 got a message before the transaction ended");
                check(q2c.receive(300) == null, round + ": Q2 got a message before the transaction ended");
                check(tc.receive(300) == null, round + ": topic got a message before the transaction ended");
                if (round.equals("rolled-back")) {
                    s.rollback();
                    check(q1c.receive(700) == null, "Q1 got a rolled-back message");
                    check(q2c.receive(300) == null, "Q2 got a rolled-back message");
                    check(tc.receive(300) == null, "topic got a rolled-back message");
                } else {
                    s.commit();
                    eq("committed-q1", text(q1c.receive(5000)), "Q1 after commit");
                    eq("committed-q2", text(q2c.receive(5000)), "Q2 after commit");
                    eq("committed-t", text(tc.receive(5000)), "topic after commit");
                    check(q1c.receive(500) == null && q2c.receive(300) == null && tc.receive(300) == null,
                            "exactly one message per destination");
                }
            }
        } finally {
            c.close();
            sub.close();
        }
    }

    static void localSendAndReceive() throws Exception {
        String IN = "TX.L.MIX.IN", OUT = "TX.L.MIX.OUT";
        put(IN, "job");
        Connection c = open();
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer mc = s.createConsumer(q(IN));
            MessageProducer p = s.createProducer(q(OUT));
            eq("job", text(mc.receive(5000)), "job received");
            p.send(s.createTextMessage("result-1"));
            s.rollback();
            eq(list(), drain(OUT, 1000), "rolled-back result never seen");
            Message m = mc.receive(5000);
            eq("job", text(m), "job redelivered after rollback");
            eq(true, m.getJMSRedelivered(), "job JMSRedelivered");
            p.send(s.createTextMessage("result-2"));
            eq(list(), drain(OUT, 700), "result invisible before commit");
            s.commit();
            eq(list("result-2"), drain(OUT, 5000), "result after commit, exactly once");
            mc.close();
        } finally {
            c.close();
        }
        eq(list(), drain(IN, 1000), "job consumed by the committed transaction");
    }

    static void localCloseWithoutCommit() throws Exception {
        String SENT = "TX.L.CLOSE.SENT", HELD = "TX.L.CLOSE.HELD";
        put(HELD, "held");
        Connection c = open();
        Session s = c.createSession(true, Session.SESSION_TRANSACTED);
        MessageProducer p = s.createProducer(q(SENT));
        // First a committed transaction, so the broker has shown it runs them at all.
        p.send(s.createTextMessage("committed"));
        s.commit();
        eq(list("committed"), drain(SENT, 5000), "the first transaction committed");
        p.send(s.createTextMessage("uncommitted"));
        eq("held", text(s.createConsumer(q(HELD)).receive(5000)), "received in the open transaction");
        c.close();
        eq(list(), drain(SENT, 1000), "uncommitted send discarded by close");
        Connection c2 = open();
        try {
            Message m = c2.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(q(HELD)).receive(5000);
            eq("held", text(m), "uncommitted receive comes back to another connection");
            eq(true, m.getJMSRedelivered(), "JMSRedelivered after the rolled-back receive");
            eq(2, deliveryCount(m), "JMSXDeliveryCount after the rolled-back receive");
        } finally {
            c2.close();
        }
    }

    static void localSocketKilled() throws Exception {
        String SENT = "TX.L.KILL.SENT", HELD = "TX.L.KILL.HELD";
        put(HELD, "held");
        try (KillableProxy proxy = new KillableProxy(PROXY_PORT, PORT)) {
            Connection c = cf(PROXY_PORT).createConnection();
            ((ActiveMQConnection) c).setExceptionListener(e -> { });
            c.start();
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer p = s.createProducer(q(SENT));
            p.send(s.createTextMessage("committed"));
            s.commit();
            eq(list("committed"), drain(SENT, 5000), "the first transaction committed");
            p.send(s.createTextMessage("uncommitted"));
            eq("held", text(s.createConsumer(q(HELD)).receive(5000)), "received in the open transaction");
            proxy.killAll();
            // The broker learns of the death only from the reset socket; give it a bounded moment.
            Connection c2 = open();
            try {
                Message m = c2.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(q(HELD)).receive(10000);
                eq("held", text(m), "uncommitted receive comes back after the socket died");
                eq(true, m.getJMSRedelivered(), "JMSRedelivered after the dead connection");
            } finally {
                c2.close();
            }
            eq(list(), drain(SENT, 1000), "uncommitted send of the dead connection discarded");
            closeQuietly(c);
        }
    }

    // ---------------------------------------------------------------- XA

    static void xaTwoPhaseCommit() throws Exception {
        String IN = "TX.XA.2PC.IN", OUT = "TX.XA.2PC.OUT";
        put(IN, "in-1");
        Xid x = new TestXid(0x1001, "two-phase", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            xr.start(x, XAResource.TMNOFLAGS);
            xs.createProducer(q(OUT)).send(xs.createTextMessage("out-1"));
            MessageConsumer mc = xs.createConsumer(q(IN));
            eq("in-1", text(mc.receive(5000)), "received in the branch");
            xr.end(x, XAResource.TMSUCCESS);
            eq(XAResource.XA_OK, xr.prepare(x), "prepare");
            eq(setOf(x), recover(xr, 0x1001), "recover lists the prepared branch");
            eq(list(), drain(OUT, 1000), "prepared send invisible");
            eq(list(), drain(IN, 700), "prepared receive not given to anyone else");
            xr.commit(x, false);
            eq(setOf(), recover(xr, 0x1001), "recover after commit");
            eq(list("out-1"), drain(OUT, 5000), "committed send, once");
        } finally {
            c.close();
        }
        eq(list(), drain(IN, 1000), "committed receive gone");
    }

    static void xaRollback() throws Exception {
        String IN = "TX.XA.RB.IN", OUT = "TX.XA.RB.OUT";
        put(IN, "in-1");
        Xid x1 = new TestXid(0x1002, "rollback-prepared", "b1");
        Xid x2 = new TestXid(0x1002, "rollback-ended", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            MessageProducer p = xs.createProducer(q(OUT));
            xr.start(x1, XAResource.TMNOFLAGS);
            p.send(xs.createTextMessage("out-1"));
            MessageConsumer mc = xs.createConsumer(q(IN));
            eq("in-1", text(mc.receive(5000)), "received in the branch");
            xr.end(x1, XAResource.TMSUCCESS);
            eq(XAResource.XA_OK, xr.prepare(x1), "prepare");
            xr.rollback(x1);
            mc.close();
            xr.start(x2, XAResource.TMNOFLAGS);
            p.send(xs.createTextMessage("out-2"));
            xr.end(x2, XAResource.TMSUCCESS);
            xr.rollback(x2);  // rollback without prepare
            eq(setOf(), recover(xr, 0x1002), "recover after rollbacks");
        } finally {
            c.close();
        }
        eq(list(), drain(OUT, 1000), "rolled-back sends never seen");
        eq(list("in-1"), drain(IN, 5000), "rolled-back receive back on its queue");
    }

    static void xaOnePhase() throws Exception {
        String IN = "TX.XA.1PC.IN", OUT = "TX.XA.1PC.OUT";
        put(IN, "in-1");
        Xid x = new TestXid(0x1003, "one-phase", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            xr.start(x, XAResource.TMNOFLAGS);
            xs.createProducer(q(OUT)).send(xs.createTextMessage("out-1"));
            eq("in-1", text(xs.createConsumer(q(IN)).receive(5000)), "received in the branch");
            xr.end(x, XAResource.TMSUCCESS);
            eq(list(), drain(OUT, 700), "invisible before commit");
            xr.commit(x, true);
            eq(list("out-1"), drain(OUT, 5000), "one-phase committed send");
        } finally {
            c.close();
        }
        eq(list(), drain(IN, 1000), "one-phase committed receive gone");
    }

    static void xaPrepareReadOnly() throws Exception {
        Xid x = new TestXid(0x1004, "read-only", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            xr.start(x, XAResource.TMNOFLAGS);
            xr.end(x, XAResource.TMSUCCESS);
            eq(XAResource.XA_RDONLY, xr.prepare(x), "prepare of a branch that did nothing");
            eq(setOf(), recover(xr, 0x1004), "a read-only branch is never in doubt");
            // The read-only branch is already over: a later commit no longer knows it.
            expectXA(XAException.XAER_NOTA, "commit after XA_RDONLY", () -> xr.commit(x, false));
        } finally {
            c.close();
        }
    }

    static void xaRecoverListsPrepared() throws Exception {
        String OUT = "TX.XA.REC.OUT";
        int F = 0x2001;
        Xid a = new TestXid(F, "recover-g", "branch-a");
        Xid b = new TestXid(F, "recover-g", "branch-b");
        Xid notPrepared = new TestXid(F, "recover-g", "branch-c");
        XAConnection c = xopen();
        XAConnection other = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            MessageProducer p = xs.createProducer(q(OUT));
            for (Xid x : list(a, b, notPrepared)) {
                xr.start(x, XAResource.TMNOFLAGS);
                p.send(xs.createTextMessage(TestXid.show(x)));
                xr.end(x, XAResource.TMSUCCESS);
                if (x != notPrepared) eq(XAResource.XA_OK, xr.prepare(x), "prepare " + x);
            }
            XAResource xr2 = other.createXASession().getXAResource();
            Set<Xid> seen = recover(xr2, F);
            log("recover from another connection: " + seen);
            eq(setOf(a, b), seen, "recover lists exactly the prepared branches, byte for byte");
            Xid[] raw = xr2.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
            for (Xid x : raw) {
                if (x.getFormatId() == F) log("recovered Xid class " + x.getClass().getName());
            }
            xr2.commit(a, false);   // resolved from another connection, as a TM recovering would
            xr2.rollback(b);
            xr.rollback(notPrepared);
            eq(setOf(), recover(xr2, F), "nothing in doubt after resolving");
        } finally {
            other.close();
            c.close();
        }
        eq(list(TestXid.show(a)), drain(OUT, 5000), "only the committed branch's message");
    }

    @SafeVarargs
    static <T> List<T> list(T... t) { return Arrays.asList(t); }

    static void xaSuspendResume() throws Exception {
        String OUT = "TX.XA.SUSPEND.OUT";
        Xid x = new TestXid(0x1005, "suspend", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            MessageProducer p = xs.createProducer(q(OUT));
            xr.start(x, XAResource.TMNOFLAGS);
            p.send(xs.createTextMessage("in-tx-1"));
            xr.end(x, XAResource.TMSUSPEND);
            p.send(xs.createTextMessage("outside"));  // no transaction associated: sent at once
            eq(list("outside"), drain(OUT, 5000), "only the non-transactional send while suspended");
            xr.start(x, XAResource.TMRESUME);
            p.send(xs.createTextMessage("in-tx-2"));
            xr.end(x, XAResource.TMSUCCESS);
            eq(list(), drain(OUT, 700), "resumed branch still invisible");
            xr.commit(x, true);
            eq(list("in-tx-1", "in-tx-2"), drain(OUT, 5000), "both parts of the suspended/resumed branch");
        } finally {
            c.close();
        }
    }

    static void xaJoin() throws Exception {
        String OUT = "TX.XA.JOIN.OUT";
        Xid x = new TestXid(0x1006, "join", "b1");
        XAConnection c1 = xopen();
        XAConnection c2 = xopen();
        try {
            XASession s1 = c1.createXASession();
            XASession s2 = c2.createXASession();
            XAResource r1 = s1.getXAResource();
            XAResource r2 = s2.getXAResource();
            eq(true, r1.isSameRM(r2), "two connections to one broker are the same resource manager");
            r1.start(x, XAResource.TMNOFLAGS);
            s1.createProducer(q(OUT)).send(s1.createTextMessage("from-1"));
            r1.end(x, XAResource.TMSUCCESS);
            r2.start(x, XAResource.TMJOIN);
            s2.createProducer(q(OUT)).send(s2.createTextMessage("from-2"));
            r2.end(x, XAResource.TMSUCCESS);
            eq(list(), drain(OUT, 700), "joined branch invisible before commit");
            eq(XAResource.XA_OK, r1.prepare(x), "prepare of the joined branch");
            r2.commit(x, false);
            eq(list("from-1", "from-2"), sorted(drain(OUT, 5000)), "both sessions' work committed together");
        } finally {
            c2.close();
            c1.close();
        }
    }




    /**
     * kill -9 between prepare and commit of two branches; after restart the TM commits one and
     * rolls back the other (one crash for both cases keeps the suite short on the reference).
     */
    static void xaCrashAfterPrepare() throws Exception {
        int F = 0x4001;
        String[] kinds = {"C", "R"};
        Xid[] xids = {new TestXid(F, "crash-commit", "b1"), new TestXid(F, "crash-rollback", "b1")};
        for (String k : kinds) put("TX.XA.CRASH." + k + ".IN", "in-1", "in-2");
        XAConnection c = xopen();
        ((ActiveMQConnection) c).setExceptionListener(e -> { });
        XASession xs = c.createXASession();
        XAResource xr = xs.getXAResource();
        for (int i = 0; i < 2; i++) {
            xr.start(xids[i], XAResource.TMNOFLAGS);
            xs.createProducer(q("TX.XA.CRASH." + kinds[i] + ".OUT")).send(xs.createTextMessage("out-1"));
            MessageConsumer mc = xs.createConsumer(q("TX.XA.CRASH." + kinds[i] + ".IN"));
            eq("in-1", text(mc.receive(5000)), kinds[i] + ": received in the branch");
            xr.end(xids[i], XAResource.TMSUCCESS);
            eq(XAResource.XA_OK, xr.prepare(xids[i]), kinds[i] + ": prepare");
        }
        BrokerControl.crashAndRestart();
        closeQuietly(c);
        XAConnection r = xopen();
        try {
            XAResource rr = r.createXASession().getXAResource();
            eq(setOf(xids), recover(rr, F), "recover after kill -9 lists both prepared branches");
            for (String k : kinds) {
                eq(list(), drain("TX.XA.CRASH." + k + ".OUT", 700), k + ": in-doubt send invisible after restart");
            }
            rr.commit(xids[0], false);
            rr.rollback(xids[1]);
            eq(setOf(), recover(rr, F), "nothing in doubt once resolved");
        } finally {
            r.close();
        }
        eq(list("out-1"), drain("TX.XA.CRASH.C.OUT", 5000), "committed send delivered exactly once");
        eq(list("in-2"), drain("TX.XA.CRASH.C.IN", 5000), "committed receive gone, the other message stays");
        eq(list(), drain("TX.XA.CRASH.R.OUT", 1000), "rolled-back send discarded");
        eq(list("in-1", "in-2"), drain("TX.XA.CRASH.R.IN", 5000), "rolled-back receive back, in order");
        eq(list(), drain("TX.XA.CRASH.C.OUT", 500), "exactly once: nothing more");
    }

    /**
     * Not a transaction test: checks that the kill -9 / restart machinery and the store work
     * (a persistent message survives, a non-persistent one does not), so that a failure of the
     * XA crash tests below points at transactions.
     */
    static void kill9Baseline() throws Exception {
        String Q = "TX.CRASH.BASELINE";
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(q(Q));
            p.send(s.createTextMessage("durable"), DeliveryMode.PERSISTENT, 4, 0);
            p.send(s.createTextMessage("volatile"), DeliveryMode.NON_PERSISTENT, 4, 0);
        } finally {
            c.close();
        }
        BrokerControl.crashAndRestart();
        eq(list("durable"), drain(Q, 5000), "after kill -9 only the persistent message is left");
    }

    // ---------------------------------------------------------------- transaction manager

    enum Crash { BEFORE_PREPARE, AFTER_PREPARE_ONE, AFTER_PREPARE_BOTH, AFTER_COMMIT_ONE }

    /**
     * A minimal two-phase-commit coordinator over two XA resources on the same broker: branch A
     * sends to TM.A, branch B consumes from TM.B. The broker is killed at the given step; the
     * coordinator then recovers as a TM would: a logged commit decision is carried out on every
     * branch still in doubt, anything else is rolled back. The global transaction must end
     * wholly committed (A has the message, B lost it) or wholly rolled back (the reverse).
     */
    static void tmScenario(Crash crash) throws Exception {
        int F = 0x5000 + crash.ordinal();
        String A = "TX.TM.A." + crash, B = "TX.TM.B." + crash;
        String gtrid = "tm-" + crash;
        Xid xa = new TestXid(F, gtrid, "A");
        Xid xb = new TestXid(F, gtrid, "B");
        put(B, "work-" + crash);
        boolean decisionCommit = false;   // the coordinator's durable log (this JVM survives)
        XAConnection ca = xopen();
        XAConnection cb = xopen();
        ((ActiveMQConnection) ca).setExceptionListener(e -> { });
        ((ActiveMQConnection) cb).setExceptionListener(e -> { });
        XASession sa = ca.createXASession();
        XASession sb = cb.createXASession();
        XAResource ra = sa.getXAResource();
        XAResource rb = sb.getXAResource();
        ra.start(xa, XAResource.TMNOFLAGS);
        sa.createProducer(q(A)).send(sa.createTextMessage("done-" + crash));
        ra.end(xa, XAResource.TMSUCCESS);
        rb.start(xb, XAResource.TMNOFLAGS);
        eq("work-" + crash, text(sb.createConsumer(q(B)).receive(5000)), "branch B received its work");
        rb.end(xb, XAResource.TMSUCCESS);
        Set<Xid> expectInDoubt;
        if (crash == Crash.BEFORE_PREPARE) {
            expectInDoubt = setOf();
        } else {
            eq(XAResource.XA_OK, ra.prepare(xa), "prepare A");
            if (crash == Crash.AFTER_PREPARE_ONE) {
                expectInDoubt = setOf(xa);
            } else {
                eq(XAResource.XA_OK, rb.prepare(xb), "prepare B");
                decisionCommit = true;
                if (crash == Crash.AFTER_PREPARE_BOTH) {
                    expectInDoubt = setOf(xa, xb);
                } else {
                    ra.commit(xa, false);
                    expectInDoubt = setOf(xb);
                }
            }
        }
        long delay = Long.getLong("it.tmCrashDelayMs", 0);
        if (delay > 0) Thread.sleep(delay);
        BrokerControl.crashAndRestart();
        closeQuietly(ca);
        closeQuietly(cb);
        XAConnection r = xopen();
        try {
            XAResource rr = r.createXASession().getXAResource();
            Set<Xid> inDoubt = recover(rr, F);
            log(crash + ": in doubt after restart " + inDoubt + ", logged decision "
                    + (decisionCommit ? "commit" : "none (presumed abort)"));
            if (!expectInDoubt.equals(inDoubt)) {
                log(crash + ": unexpected in-doubt set; queues now hold A=" + drain(A, 1000) + " B=" + drain(B, 1000));
            }
            eq(expectInDoubt, inDoubt, crash + ": branches in doubt after restart");
            for (Xid x : inDoubt) {
                if (decisionCommit) rr.commit(x, false); else rr.rollback(x);
            }
            eq(setOf(), recover(rr, F), crash + ": nothing in doubt after resolution");
        } finally {
            r.close();
        }
        List<String> onA = drain(A, decisionCommit ? 5000 : 1000);
        List<String> onB = drain(B, decisionCommit ? 1000 : 5000);
        log(crash + ": A=" + onA + " B=" + onB);
        if (decisionCommit) {
            eq(list("done-" + crash), onA, crash + ": wholly committed, A has the result once");
            eq(list(), onB, crash + ": wholly committed, B's work consumed");
        } else {
            eq(list(), onA, crash + ": wholly rolled back, A has nothing");
            eq(list("work-" + crash), onB, crash + ": wholly rolled back, B's work back once");
        }
    }

    // ---------------------------------------------------------------- dead letters

    /** Sends one persistent message with a body, string/int properties and a correlation id. */
    static String putPoison(String queue, String body) throws JMSException {
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TextMessage m = s.createTextMessage(body);
            m.setStringProperty("color", "teal");
            m.setIntProperty("attempt", 41);
            m.setJMSCorrelationID("corr-" + body);
            MessageProducer p = s.createProducer(q(queue));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            p.send(m);
            return m.getJMSMessageID();
        } finally {
            c.close();
        }
    }

    /** Receives it in a transacted session maxRedeliveries+1 times, rolling back each time. */
    static void rollBackUntilDead(String queue, int maxRedeliveries, String body) throws JMSException {
        ActiveMQConnectionFactory f = cf();
        f.getRedeliveryPolicy().setMaximumRedeliveries(maxRedeliveries);
        Connection c = f.createConnection();
        c.start();
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer mc = s.createConsumer(q(queue));
            for (int i = 1; i <= maxRedeliveries + 1; i++) {
                Message m = mc.receive(5000);
                eq(body, text(m), "delivery " + i);
                eq(i, deliveryCount(m), "delivery " + i + " JMSXDeliveryCount");
                eq(i > 1, m.getJMSRedelivered(), "delivery " + i + " JMSRedelivered");
                s.rollback();
            }
            check(mc.receive(1000) == null, "delivered again after the last allowed redelivery");
        } finally {
            c.close();
        }
    }

    static Message takeOne(String queue, long waitMs) throws JMSException {
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            return s.createConsumer(q(queue)).receive(waitMs);
        } finally {
            c.close();
        }
    }

    static void checkDeadLetter(Message m, String dlq, String from, String body, String msgId, long origExpiration)
            throws JMSException {
        eq(body, text(m), "dead letter body");
        eq(msgId, m.getJMSMessageID(), "dead letter keeps its JMSMessageID");
        eq(0L, m.getJMSExpiration(), "dead letter JMSExpiration (cleared)");
        eq(origExpiration, m.getObjectProperty("originalExpiration"), "dead letter originalExpiration property (Long)");
        eq(false, m.getJMSRedelivered(), "dead letter JMSRedelivered (a fresh delivery on the DLQ)");
        eq(1, deliveryCount(m), "dead letter JMSXDeliveryCount");
        eq("teal", m.getStringProperty("color"), "dead letter string property");
        eq(41, m.getIntProperty("attempt"), "dead letter int property");
        eq("corr-" + body, m.getJMSCorrelationID(), "dead letter JMSCorrelationID");
        eq(DeliveryMode.PERSISTENT, m.getJMSDeliveryMode(), "dead letter delivery mode");
        eq(q(dlq), m.getJMSDestination(), "dead letter JMSDestination");
        eq(q(from), ((ActiveMQMessage) m).getOriginalDestination(), "dead letter originalDestination");
        List<String> names = new ArrayList<>();
        for (Enumeration<?> e = m.getPropertyNames(); e.hasMoreElements();) names.add((String) e.nextElement());
        Collections.sort(names);
        eq(list("attempt", "color", "dlqDeliveryFailureCause", "originalExpiration"), names,
                "dead letter property names (the message's own plus exactly two added by the broker)");
        Object oe = m.getObjectProperty("originalExpiration");
        log("dead letter on " + dlq + ": properties " + names + ", JMSExpiration=" + m.getJMSExpiration()
                + ", JMSRedelivered=" + m.getJMSRedelivered() + ", originalExpiration=" + oe
                + (oe == null ? "" : " (" + oe.getClass().getSimpleName() + ")") + ", JMSXDeliveryCount=" + m.getObjectProperty("JMSXDeliveryCount"));
    }





    // ---------------------------------------------------------------- main

    public static void main(String[] args) throws Exception {
        Suite s = new Suite(40);
        s.add("local_send_commit", TxSuite::localSendCommit);
        s.add("local_send_rollback", TxSuite::localSendRollback);
        s.add("local_receive_commit", TxSuite::localReceiveCommit);
        s.add("local_receive_rollback", TxSuite::localReceiveRollback);
        s.add("local_queues_and_topic_all_or_nothing", TxSuite::localSeveralQueuesAndTopic);
        s.add("local_send_and_receive_mixed", TxSuite::localSendAndReceive);
        s.add("local_connection_closed_rolls_back", TxSuite::localCloseWithoutCommit);
        s.add("local_socket_killed_rolls_back", TxSuite::localSocketKilled);
        s.add("xa_two_phase_commit", TxSuite::xaTwoPhaseCommit);
        s.add("xa_rollback", TxSuite::xaRollback);
        s.add("xa_one_phase_commit", TxSuite::xaOnePhase);
        s.add("xa_prepare_read_only", TxSuite::xaPrepareReadOnly);
        s.add("xa_recover_lists_prepared", TxSuite::xaRecoverListsPrepared);
        s.add("xa_suspend_resume", TxSuite::xaSuspendResume);
        s.add("xa_join", TxSuite::xaJoin);
        s.add("xa_unknown_xid_nota", TxXaErrors::xaUnknownXid);
        s.add("xa_out_of_order_proto", TxXaErrors::xaOutOfOrder);
        s.add("xa_forget", TxXaErrors::xaForget);
        s.add("kill9_restart_baseline", 90, TxSuite::kill9Baseline);
        s.add("xa_kill9_after_prepare_commit_and_rollback", 90, TxSuite::xaCrashAfterPrepare);
        s.add("tm_kill9_before_prepare", 90, () -> tmScenario(Crash.BEFORE_PREPARE));
        s.add("tm_kill9_after_prepare_one", 90, () -> tmScenario(Crash.AFTER_PREPARE_ONE));
        s.add("tm_kill9_after_prepare_both", 90, () -> tmScenario(Crash.AFTER_PREPARE_BOTH));
        s.add("tm_kill9_after_commit_one", 90, () -> tmScenario(Crash.AFTER_COMMIT_ONE));
        s.add("dlq_after_max_redeliveries", TxDeadLetters::dlqAfterMaxRedeliveries);
        s.add("dlq_individual_strategy", TxDeadLetters::dlqIndividual);
        s.add("dlq_expired_message", TxDeadLetters::dlqExpired);
        s.add("dlq_is_ordinary_queue", TxDeadLetters::dlqOrdinaryQueue);
        if (args.length > 0 && args[0].equals("--list")) {
            s.run(args);
            System.exit(0);
        }
        // One quick connection first: if the broker does not speak at all, say so once.
        try {
            ActiveMQConnectionFactory f = cf();
            f.setBrokerURL("tcp://127.0.0.1:" + PORT + "?soTimeout=0&connectionTimeout=5000");
            Connection c = f.createConnection();
            c.start();
            c.close();
        } catch (Exception e) {
            System.exit(s.failAll(args, "broker does not answer: " + e) > 0 ? 1 : 0);
        }
        int failed = s.run(args);
        System.exit(failed > 0 ? 1 : 0);
    }
}
