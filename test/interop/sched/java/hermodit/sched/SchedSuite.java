package hermodit.sched;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.XAConnection;
import javax.jms.XASession;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQXAConnectionFactory;
import org.apache.activemq.command.ActiveMQTextMessage;

import hermodit.Suite;

/**
 * Scheduled delivery (AMQ_SCHEDULED_* properties) through the real ActiveMQ client.  run.sh runs
 * these in phases (a restart between them): see run.sh.  Timings have slack for a busy machine in
 * the "arrives by" direction only: a delayed message must never arrive early.
 */
public class SchedSuite {
    static int port;
    static String stateFile;

    static Connection connect() throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port);
        f.setWatchTopicAdvisories(false);
        Connection c = f.createConnection();
        c.start();
        return c;
    }

    /** JMS 1.1 connections are not AutoCloseable. */
    static final class Conn implements AutoCloseable {
        final Connection c;
        Conn() throws JMSException { c = connect(); }
        @Override public void close() throws JMSException { c.close(); }
    }

    static TextMessage text(Session s, String body) throws JMSException {
        return s.createTextMessage(body);
    }

    static void drain(Session s, Queue q) throws JMSException {
        MessageConsumer c = s.createConsumer(q);
        while (c.receive(200) != null) { }
        c.close();
    }

    /** A message with a delay does not arrive before it, and arrives without its schedule. */
    static void delayRespected() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.delay");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            TextMessage m = text(s, "later");
            m.setLongProperty("AMQ_SCHEDULED_DELAY", 2000);
            m.setStringProperty("color", "red");
            long t0 = System.currentTimeMillis();
            p.send(m);
            String sentId = m.getJMSMessageID();
            Message early = cons.receive(1500);
            check(early == null, "nothing within 1.5 s of a 2 s delay");
            Message got = cons.receive(8000);
            long at = System.currentTimeMillis();
            check(got != null, "the delayed message arrives");
            log("arrived after " + (at - t0) + " ms");
            check(at - t0 >= 2000, "not before its delay (" + (at - t0) + " ms)");
            eq("later", ((TextMessage) got).getText(), "body");
            eq("red", got.getStringProperty("color"), "other properties kept");
            check(!got.propertyExists("AMQ_SCHEDULED_DELAY"), "AMQ_SCHEDULED_DELAY removed");
            check(got.getStringProperty("scheduledJobId") != null, "scheduledJobId set");
            eq(sentId, got.getJMSMessageID(), "a one-shot delay keeps the message id");
            check(cons.receive(1000) == null, "delivered once");
        }
    }

    /** Several delayed messages come out in due order, not send order. */
    static void delayedOrder() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.order");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            String[] bodies = { "c", "a", "b", "now" };
            long[] delays = { 3000, 1000, 2000, -1 };
            for (int i = 0; i < bodies.length; i++) {
                TextMessage m = text(s, bodies[i]);
                if (delays[i] >= 0)
                    m.setLongProperty("AMQ_SCHEDULED_DELAY", delays[i]);
                p.send(m);
            }
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Message m = cons.receive(8000);
                check(m != null, "message " + i + " arrives");
                got.add(((TextMessage) m).getText());
            }
            eq("[now, a, b, c]", got.toString(), "delivery order");
        }
    }

    /** delay + period + repeat n: n + 1 copies, each a distinct message, period apart. */
    static void periodRepeat() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.repeat");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            TextMessage m = text(s, "tick");
            m.setLongProperty("AMQ_SCHEDULED_DELAY", 1000);
            m.setLongProperty("AMQ_SCHEDULED_PERIOD", 700);
            m.setIntProperty("AMQ_SCHEDULED_REPEAT", 3);
            long t0 = System.currentTimeMillis();
            p.send(m);
            Set<String> ids = new HashSet<>();
            long last = 0;
            for (int i = 0; i < 4; i++) {
                Message g = cons.receive(6000);
                long at = System.currentTimeMillis();
                check(g != null, "copy " + i + " arrives");
                log("copy " + i + " after " + (at - t0) + " ms id " + g.getJMSMessageID());
                if (i == 0)
                    check(at - t0 >= 1000, "first copy not before the delay");
                else
                    check(at - last >= 500, "copies about a period apart (" + (at - last) + " ms)");
                last = at;
                eq("tick", ((TextMessage) g).getText(), "body");
                check(!g.propertyExists("AMQ_SCHEDULED_REPEAT"), "AMQ_SCHEDULED_REPEAT removed");
                ids.add(g.getJMSMessageID());
            }
            eq(4, ids.size(), "each copy has its own message id");
            check(!ids.contains(m.getJMSMessageID()), "copies of a repeating job get new ids");
            check(cons.receive(2000) == null, "exactly repeat + 1 copies");
        }
    }

    /** period without delay: the first copy waits one period too. */
    static void periodWithoutDelay() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.period");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            TextMessage m = text(s, "p");
            m.setLongProperty("AMQ_SCHEDULED_PERIOD", 1000);
            m.setIntProperty("AMQ_SCHEDULED_REPEAT", 1);
            long t0 = System.currentTimeMillis();
            p.send(m);
            Message g = cons.receive(6000);
            long at = System.currentTimeMillis();
            check(g != null, "first copy");
            check(at - t0 >= 1000, "first copy waits one period (" + (at - t0) + " ms)");
            check(cons.receive(6000) != null, "second copy");
            check(cons.receive(2000) == null, "exactly 2 copies");
        }
    }

    /** Bad schedules: the (synchronous, persistent) send fails and nothing is delivered. */
    static void invalidSchedule() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.invalid");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            // The client itself checks these in setObjectProperty; setProperty (the command
            // object's own) puts them on the wire as another client could.
            Object[][] cases = { { "AMQ_SCHEDULED_CRON", "not a cron" },
                                 { "AMQ_SCHEDULED_DELAY", "soon" },
                                 { "AMQ_SCHEDULED_REPEAT", 1001 } };
            for (Object[] k : cases) {
                ActiveMQTextMessage m = (ActiveMQTextMessage) text(s, (String) k[0]);
                m.setProperty((String) k[0], k[1]);
                if (k[0].equals("AMQ_SCHEDULED_REPEAT"))
                    m.setProperty("AMQ_SCHEDULED_DELAY", 100L);
                Suite.expectThrows(JMSException.class, k[0] + "=" + k[1] + " refused", () -> p.send(m));
            }
            check(cons.receive(1500) == null, "nothing delivered");
            // the connection still works
            ActiveMQTextMessage ok = (ActiveMQTextMessage) text(s, "ok");
            ok.setProperty("AMQ_SCHEDULED_DELAY", -5000L);   // the client refuses it in setLongProperty
            p.send(ok);
            Message g = cons.receive(5000);
            check(g != null && ((TextMessage) g).getText().equals("ok"), "a negative delay delivers at once");
        }
    }

    /** In a transaction the clock starts at commit; a rolled-back scheduled send never comes. */
    static void transacted() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
            Queue q = s.createQueue("SCHED.tx");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = tx.createProducer(q);
            TextMessage gone = text(tx, "rolled back");
            gone.setLongProperty("AMQ_SCHEDULED_DELAY", 500);
            p.send(gone);
            tx.rollback();
            TextMessage m = text(tx, "committed");
            m.setLongProperty("AMQ_SCHEDULED_DELAY", 1500);
            p.send(m);
            Thread.sleep(1000);
            check(cons.receive(200) == null, "nothing before the commit");
            long t0 = System.currentTimeMillis();
            tx.commit();
            Message g = cons.receive(8000);
            long at = System.currentTimeMillis();
            check(g != null, "the committed message arrives");
            log("arrived " + (at - t0) + " ms after the commit");
            check(at - t0 >= 1500, "its delay counts from the commit (" + (at - t0) + " ms)");
            eq("committed", ((TextMessage) g).getText(), "body");
            check(cons.receive(1500) == null, "the rolled-back one never comes");
        }
    }

    /** A branch id as a transaction manager would make one. */
    static Xid xid(final String gtrid) {
        return new Xid() {
            @Override public int getFormatId() { return 4711; }
            @Override public byte[] getGlobalTransactionId() { return gtrid.getBytes(); }
            @Override public byte[] getBranchQualifier() { return new byte[] { 1 }; }
        };
    }

    /** Issue 5: a scheduled send inside an XA branch is held until the branch commits and then
     *  waits its delay (two-phase and one-phase commit); a rolled-back branch's never comes. */
    static void xaTransacted() throws Exception {
        ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory("tcp://127.0.0.1:" + port);
        f.setWatchTopicAdvisories(false);
        XAConnection xc = f.createXAConnection();
        try (Conn cc = new Conn()) {
            xc.start();
            Session s = cc.c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.xa");
            MessageConsumer cons = s.createConsumer(q);
            XASession xs = xc.createXASession();
            XAResource xr = xs.getXAResource();
            MessageProducer p = xs.getSession().createProducer(q);
            String run = Long.toString(System.nanoTime());

            Xid gone = xid("sched-rb-" + run);
            xr.start(gone, XAResource.TMNOFLAGS);
            TextMessage rb = text(xs.getSession(), "rolled back");
            rb.setLongProperty("AMQ_SCHEDULED_DELAY", 300);
            p.send(rb);
            xr.end(gone, XAResource.TMSUCCESS);
            check(xr.prepare(gone) == XAResource.XA_OK, "prepare of the branch to roll back");
            xr.rollback(gone);

            Xid two = xid("sched-2pc-" + run);
            xr.start(two, XAResource.TMNOFLAGS);
            TextMessage late = text(xs.getSession(), "two-phase delayed");
            late.setLongProperty("AMQ_SCHEDULED_DELAY", 1500);
            p.send(late);
            p.send(text(xs.getSession(), "two-phase now"));
            xr.end(two, XAResource.TMSUCCESS);
            check(xr.prepare(two) == XAResource.XA_OK, "prepare");
            check(cons.receive(1000) == null, "nothing of a prepared branch before its commit");
            long t0 = System.currentTimeMillis();
            xr.commit(two, false);
            Message now = cons.receive(5000);
            check(now != null, "the unscheduled message of the branch arrives at commit");
            eq("two-phase now", ((TextMessage) now).getText(), "first to arrive");
            Message g = cons.receive(8000);
            long at = System.currentTimeMillis();
            check(g != null, "the scheduled message of the committed branch arrives");
            eq("two-phase delayed", ((TextMessage) g).getText(), "body");
            log("two-phase: arrived " + (at - t0) + " ms after the commit");
            check(at - t0 >= 1500, "its delay counts from the commit (" + (at - t0) + " ms)");

            Xid one = xid("sched-1pc-" + run);
            xr.start(one, XAResource.TMNOFLAGS);
            TextMessage op = text(xs.getSession(), "one-phase delayed");
            op.setLongProperty("AMQ_SCHEDULED_DELAY", 1000);
            p.send(op);
            xr.end(one, XAResource.TMSUCCESS);
            Thread.sleep(700);
            check(cons.receive(300) == null, "nothing of an open branch");
            t0 = System.currentTimeMillis();
            xr.commit(one, true);
            g = cons.receive(8000);
            at = System.currentTimeMillis();
            check(g != null, "the one-phase committed scheduled message arrives");
            eq("one-phase delayed", ((TextMessage) g).getText(), "body");
            log("one-phase: arrived " + (at - t0) + " ms after the commit");
            check(at - t0 >= 1000, "its delay counts from the commit (" + (at - t0) + " ms)");
            check(cons.receive(1500) == null, "the rolled-back one never comes, nothing twice");
        } finally {
            xc.close();
        }
    }

    /** ActiveMQ.Scheduler.Management: REMOVE by the scheduledJobId a copy carries stops a
     *  repeating job; REMOVEALL cancels pending delayed messages. */
    static void managementRemove() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.mgmt");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            MessageProducer admin = s.createProducer(s.createTopic("ActiveMQ.Scheduler.Management"));
            TextMessage m = text(s, "again");
            m.setLongProperty("AMQ_SCHEDULED_PERIOD", 500);
            m.setIntProperty("AMQ_SCHEDULED_REPEAT", 100);
            p.send(m);
            Message first = cons.receive(5000);
            check(first != null, "first copy of the repeating job");
            String job = first.getStringProperty("scheduledJobId");
            check(job != null, "the copy names its job");
            Message rm = s.createMessage();
            rm.setStringProperty("AMQ_SCHEDULER_ACTION", "REMOVE");
            rm.setStringProperty("scheduledJobId", job);
            admin.send(rm);
            while (cons.receive(1000) != null) { }   // copies already on their way
            check(cons.receive(2000) == null, "no copies after REMOVE");

            for (int i = 0; i < 3; i++) {
                TextMessage d = text(s, "cancelled " + i);
                d.setLongProperty("AMQ_SCHEDULED_DELAY", 2500);
                p.send(d);
            }
            Message all = s.createMessage();
            all.setStringProperty("AMQ_SCHEDULER_ACTION", "REMOVEALL");
            admin.send(all);
            check(cons.receive(4500) == null, "REMOVEALL cancelled the delayed messages");
        }
    }

    /** BROWSE: a copy of each pending job, in due order, to the JMSReplyTo; nothing is consumed. */
    static void managementBrowse() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.browse");
            MessageProducer p = s.createProducer(q);
            String[] bodies = { "second", "first" };
            long[] delays = { 6000, 5000 };
            for (int i = 0; i < 2; i++) {
                TextMessage m = text(s, bodies[i]);
                m.setLongProperty("AMQ_SCHEDULED_DELAY", delays[i]);
                p.send(m);
            }
            Queue reply = s.createTemporaryQueue();
            MessageConsumer rc = s.createConsumer(reply);
            Message browse = s.createMessage();
            browse.setStringProperty("AMQ_SCHEDULER_ACTION", "BROWSE");
            browse.setJMSReplyTo(reply);
            s.createProducer(s.createTopic("ActiveMQ.Scheduler.Management")).send(browse);
            List<String> got = new ArrayList<>();
            Message g;
            while ((g = rc.receive(2000)) != null) {
                check(g.getStringProperty("scheduledJobId") != null, "browsed copy names its job");
                check(g.propertyExists("AMQ_SCHEDULED_DELAY"), "browsed copy keeps its schedule");
                got.add(((TextMessage) g).getText());
            }
            eq("[first, second]", got.toString(), "pending jobs in due order");
            MessageConsumer cons = s.createConsumer(q);
            Message m1 = cons.receive(9000), m2 = cons.receive(3000);
            check(m1 != null && m2 != null, "browsing removed nothing");
            eq("first", ((TextMessage) m1).getText(), "first due");
        }
    }

    /** Phase 1 of the restart test: a persistent message delayed 8 s; run.sh then kills -9. */
    static void persistSend() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.persist");
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            TextMessage m = text(s, "survivor");
            m.setLongProperty("AMQ_SCHEDULED_DELAY", 8000);
            long t0 = System.currentTimeMillis();
            p.send(m);
            Files.write(Paths.get(stateFile), Long.toString(t0).getBytes());
        }
    }

    /** Phase 2: after the restart it arrives once, not before its time. */
    static void persistCheck() throws Exception {
        long t0 = Long.parseLong(new String(Files.readAllBytes(Paths.get(stateFile))).trim());
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer cons = s.createConsumer(s.createQueue("SCHED.persist"));
            Message g = cons.receive(Math.max(1000, t0 + 20000 - System.currentTimeMillis()));
            long at = System.currentTimeMillis();
            check(g != null, "the delayed persistent message survives kill -9");
            log("arrived " + (at - t0) + " ms after the send");
            check(at - t0 >= 8000, "not before its delay (" + (at - t0) + " ms)");
            eq("survivor", ((TextMessage) g).getText(), "body");
            check(cons.receive(2000) == null, "delivered once");
        }
    }

    /** schedulerSupport off: the properties mean nothing; delivery is immediate. */
    static void schedulerOff() throws Exception {
        try (Conn cc = new Conn()) {
            Connection c = cc.c;
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("SCHED.off");
            MessageConsumer cons = s.createConsumer(q);
            MessageProducer p = s.createProducer(q);
            TextMessage m = text(s, "now");
            m.setLongProperty("AMQ_SCHEDULED_DELAY", 10000);
            m.setLongProperty("AMQ_SCHEDULED_PERIOD", 1000);
            m.setIntProperty("AMQ_SCHEDULED_REPEAT", 5);
            p.send(m);
            Message g = cons.receive(3000);
            check(g != null, "delivered at once");
            eq(10000L, g.getLongProperty("AMQ_SCHEDULED_DELAY"), "properties untouched");
            eq(m.getJMSMessageID(), g.getJMSMessageID(), "same message id");
            check(cons.receive(2500) == null, "delivered once");
        }
    }

    public static void main(String[] args) {
        port = Integer.getInteger("it.port", 62900);
        stateFile = System.getProperty("it.state", "/tmp/sched-state");
        Suite suite = new Suite(40);
        suite.add("delay_respected", SchedSuite::delayRespected);
        suite.add("delayed_order", SchedSuite::delayedOrder);
        suite.add("period_repeat_copies", SchedSuite::periodRepeat);
        suite.add("period_without_delay", SchedSuite::periodWithoutDelay);
        suite.add("invalid_schedule_refused", SchedSuite::invalidSchedule);
        suite.add("transacted_delay_from_commit", SchedSuite::transacted);
        suite.add("xa_delay_from_commit", SchedSuite::xaTransacted);
        suite.add("management_remove", SchedSuite::managementRemove);
        suite.add("management_browse", SchedSuite::managementBrowse);
        suite.add("persist_send", SchedSuite::persistSend);
        suite.add("persistent_delay_survives_kill9", SchedSuite::persistCheck);
        suite.add("scheduler_off_ignored", SchedSuite::schedulerOff);
        System.exit(suite.run(args) == 0 ? 0 : 1);
    }
}
