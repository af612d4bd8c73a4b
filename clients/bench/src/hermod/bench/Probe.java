package hermod.bench;

import java.util.ArrayList;
import java.util.List;

import javax.jms.Connection;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TemporaryQueue;
import javax.jms.Topic;
import javax.jms.TopicSubscriber;

import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Checks, before any load starts, that the broker supports what the workload needs
 * (transactions, durable subscriptions, temporary queues). Why: a broker that lacks a feature
 * should get one clear "unsupported by broker" verdict for that workload, not a run full of
 * exceptions, hangs or misleading numbers.
 */
final class Probe {
    private Probe() {
    }

    /** Returns one line per missing feature ("transactions: <reason>"); empty when all work. */
    static List<String> check(String url, String runId, List<FlowSpec> flows) {
        boolean tx = false, durable = false, temp = false;
        for (FlowSpec f : flows) {
            tx |= f.needsTransactions();
            durable |= f.durable && f.kind == FlowSpec.Kind.TOPIC;
            temp |= f.kind == FlowSpec.Kind.REQUEST_REPLY;
        }
        List<String> missing = new ArrayList<>();
        if (tx) {
            probe(missing, "transactions", () -> transactions(url, runId));
        }
        if (durable) {
            probe(missing, "durable subscriptions", () -> durable(url, runId));
        }
        if (temp) {
            probe(missing, "temporary queues", () -> temporary(url, runId));
        }
        return missing;
    }

    interface Check {
        String run() throws Exception;
    }

    private static void probe(List<String> missing, String what, Check c) {
        try {
            String why = c.run();
            if (why != null) {
                missing.add(what + ": " + why);
            }
        } catch (Exception e) {
            missing.add(what + ": " + e);
        }
    }

    private static Connection connect(String url, String clientId) throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        Connection c = f.createConnection();
        if (clientId != null) {
            c.setClientID(clientId);
        }
        c.start();
        return c;
    }

    /** A message sent and committed in one transaction must be received and committed in another. */
    private static String transactions(String url, String runId) throws Exception {
        Connection c = connect(url, null);
        try {
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            Queue q = s.createQueue("bench.probe.tx." + runId);
            MessageProducer p = s.createProducer(q);
            p.send(s.createTextMessage("probe"));
            s.commit();
            Session r = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer mc = r.createConsumer(q);
            Message m = mc.receive(5000);
            if (m == null) {
                return "a committed message was not delivered within 5 s";
            }
            r.commit();
            if (mc.receive(500) != null) {
                return "a consumed and committed message was delivered again";
            }
            return null;
        } finally {
            c.close();
        }
    }

    private static String durable(String url, String runId) throws Exception {
        Connection c = connect(url, "bench-probe-" + runId);
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic t = s.createTopic("bench.probe.durable." + runId);
            TopicSubscriber sub = s.createDurableSubscriber(t, "probe");
            s.createProducer(t).send(s.createTextMessage("probe"));
            Message m = sub.receive(5000);
            sub.close();
            s.unsubscribe("probe");
            return m == null ? "a message published to a durable subscription was not delivered within 5 s" : null;
        } finally {
            c.close();
        }
    }

    private static String temporary(String url, String runId) throws Exception {
        Connection c = connect(url, null);
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue tq = s.createTemporaryQueue();
            MessageConsumer mc = s.createConsumer(tq);
            s.createProducer(tq).send(s.createTextMessage("probe"));
            Message m = mc.receive(5000);
            mc.close();
            tq.delete();
            return m == null ? "a message sent to a temporary queue was not delivered within 5 s" : null;
        } finally {
            c.close();
        }
    }
}
