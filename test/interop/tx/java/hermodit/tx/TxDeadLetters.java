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
import static hermodit.tx.TxSuite.*;

/** Dead letters after redeliveries and expiry (registered by TxSuite). */
final class TxDeadLetters {
    private TxDeadLetters() {}

    static void dlqAfterMaxRedeliveries() throws Exception {
        String Q = "TX.DLQ.MAXREDELIVERIES";
        drain(DLQ, 300);
        String id = putPoison(Q, "poison-1");
        rollBackUntilDead(Q, 2, "poison-1");
        eq(list(), drain(Q, 700), "gone from its queue");
        Message m = takeOne(DLQ, 5000);
        check(m != null, "nothing on " + DLQ);
        checkDeadLetter(m, DLQ, Q, "poison-1", id, 0L);
        String cause = m.getStringProperty("dlqDeliveryFailureCause");
        log("dlqDeliveryFailureCause = " + cause);
        check(cause != null, "dlqDeliveryFailureCause property missing");
        // The client sends the cause with its poison ack; the broker stores "<class>: <message>".
        check(cause.startsWith("java.lang.Throwable: Delivery[3] exceeds redelivery policy limit:RedeliveryPolicy {"),
                "dlqDeliveryFailureCause is the poison ack's cause: " + cause);
        check(cause.endsWith(", cause:null"), "dlqDeliveryFailureCause ends with the client's cause:null: " + cause);
        check(cause.contains("maximumRedeliveries = 2"), "dlqDeliveryFailureCause names maximumRedeliveries = 2: " + cause);
        eq(list(), drain(DLQ, 700), "exactly one dead letter");
    }

    static void dlqIndividual() throws Exception {
        String Q = "TX.IDLQ.ORDERS";
        drain(DLQ, 300);
        String id = putPoison(Q, "poison-2");
        rollBackUntilDead(Q, 2, "poison-2");
        Message m = takeOne("DLQ." + Q, 5000);
        check(m != null, "nothing on DLQ." + Q);
        checkDeadLetter(m, "DLQ." + Q, Q, "poison-2", id, 0L);
        check(m.getStringProperty("dlqDeliveryFailureCause") != null, "dlqDeliveryFailureCause missing");
        eq(list(), drain(DLQ, 700), "the shared DLQ stays empty");
        eq(list(), drain(Q, 500), "gone from its queue");
    }

    static void dlqExpired() throws Exception {
        String Q = "TX.DLQ.EXPIRED";
        drain(DLQ, 300);
        String id;
        long expiration;
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(q(Q));
            TextMessage m = s.createTextMessage("short-lived");
            m.setStringProperty("color", "teal");
            m.setIntProperty("attempt", 41);
            m.setJMSCorrelationID("corr-short-lived");
            p.send(m, DeliveryMode.PERSISTENT, 4, 1000);
            check(m.getJMSExpiration() > 0, "TTL set");
            id = m.getJMSMessageID();
            expiration = m.getJMSExpiration();
        } finally {
            c.close();
        }
        Thread.sleep(1500);   // expired before anyone consumes
        Message none = takeOne(Q, 1500);
        check(none == null, "an expired message was delivered: " + none);
        // Expiry is noticed when the consumer's subscription pages the message in (or by the
        // broker's expiry sweep); either way it must reach the DLQ within a bounded time.
        Message m = takeOne(DLQ, 10000);
        check(m != null, "the expired persistent message did not reach " + DLQ);
        checkDeadLetter(m, DLQ, Q, "short-lived", id, expiration);
        String cause = m.getStringProperty("dlqDeliveryFailureCause");
        log("expired dead letter dlqDeliveryFailureCause = " + cause);
        eq("java.lang.Throwable: Message Expired. Expiration:" + expiration, cause, "dlqDeliveryFailureCause of an expired message");
        eq(list(), drain(DLQ, 500), "exactly one dead letter");
    }

    static void dlqOrdinaryQueue() throws Exception {
        String Q = "TX.DLQ.RESEND";
        drain(DLQ, 300);
        String id = putPoison(Q, "poison-3");
        rollBackUntilDead(Q, 0, "poison-3");
        Connection c = open();
        try {
            Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            QueueBrowser br = s.createBrowser(q(DLQ));
            List<String> browsed = new ArrayList<>();
            for (Enumeration<?> e = br.getEnumeration(); e.hasMoreElements();) browsed.add(text((Message) e.nextElement()));
            br.close();
            eq(list("poison-3"), browsed, "browse of the DLQ");
            MessageConsumer mc = s.createConsumer(q(DLQ));
            Message m = mc.receive(5000);
            checkDeadLetter(m, DLQ, Q, "poison-3", id, 0L);
            Destination back = ((ActiveMQMessage) m).getOriginalDestination();
            MessageProducer p = s.createProducer(back);
            p.send(m);   // re-send the very message object back where it came from
            m.acknowledge();
            mc.close();
        } finally {
            c.close();
        }
        eq(list(), drain(DLQ, 700), "DLQ empty once consumed");
        Connection c2 = open();
        try {
            Message m = c2.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(q(Q)).receive(5000);
            eq("poison-3", text(m), "back on the original queue");
            eq("teal", m.getStringProperty("color"), "property kept through the round trip");
            eq(q(Q), m.getJMSDestination(), "JMSDestination of the re-sent message");
        } finally {
            c2.close();
        }
    }
}
