package hermodit.jms;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.expectThrows;
import static hermodit.Suite.log;
import hermodit.Payload;
import hermodit.Suite;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.ConnectionMetaData;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.InvalidClientIDException;
import javax.jms.InvalidDestinationException;
import javax.jms.JMSException;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageEOFException;
import javax.jms.MessageProducer;
import javax.jms.ObjectMessage;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.StreamMessage;
import javax.jms.TemporaryQueue;
import javax.jms.TextMessage;
import javax.jms.Topic;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSession;
import static hermodit.jms.JmsSuite.*;

/** Acknowledgement modes and redelivery (registered by JmsSuite). */
final class JmsAcks {
    private JmsAcks() {}

    static void clientAckRedelivery() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s0 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s0.createQueue(name("cack"));
            sendTexts(s0, q, seq("c", 0, 5), DeliveryMode.PERSISTENT);

            Session s1 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            for (Message m : expectTexts(s1.createConsumer(q), seq("c", 0, 5), 0)) {
                eq(false, m.getJMSRedelivered(), "first delivery JMSRedelivered");
                eq(1, m.getIntProperty("JMSXDeliveryCount"), "first delivery JMSXDeliveryCount");
            }
            s1.close();  // nothing acknowledged

            Session s2 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer mc2 = s2.createConsumer(q);
            List<Message> again = expectTexts(mc2, seq("c", 0, 5), 300);
            for (Message m : again) {
                eq(true, m.getJMSRedelivered(), "redelivery JMSRedelivered");
                eq(2, m.getIntProperty("JMSXDeliveryCount"), "redelivery JMSXDeliveryCount");
            }
            again.get(4).acknowledge();
            s2.close();

            Session s3 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            check(s3.createConsumer(q).receive(1000) == null, "acknowledged messages came back");
        } finally {
            closeQuietly(c);
        }
    }

    static void ackAuto() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(name("auto"));
            sendTexts(s, q, seq("a", 0, 5), DeliveryMode.PERSISTENT);
            MessageConsumer mc = s.createConsumer(q);
            expectTexts(mc, seq("a", 0, 3), 0);
            mc.close();  // a3, a4 were prefetched but never given to the application
            MessageConsumer mc2 = s.createConsumer(q);
            for (Message m : expectTexts(mc2, seq("a", 3, 5), 500)) {
                eq(false, m.getJMSRedelivered(), "message never seen by the application is not flagged redelivered");
            }
            mc2.close();
            check(s.createConsumer(q).receive(500) == null, "auto-acknowledged message came back");
        } finally {
            closeQuietly(c);
        }
    }

    static void ackDupsOk() throws Exception {
        ActiveMQConnection c = open(cf());
        Queue q;
        try {
            Session s = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
            q = s.createQueue(name("dups"));
            sendTexts(s, q, seq("d", 0, 10), DeliveryMode.PERSISTENT);
            expectTexts(s.createConsumer(q), seq("d", 0, 10), 200);
        } finally {
            closeQuietly(c);
        }
        // The lazily acknowledged messages were acknowledged by the orderly close.
        ActiveMQConnection c2 = open(cf());
        try {
            Session s = c2.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Message m = s.createConsumer(q).receive(1000);
            check(m == null, "DUPS_OK message came back after orderly close: " + (m == null ? "" : textOf(m)));
        } finally {
            closeQuietly(c2);
        }
    }

    static void ackClientCumulative() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s0 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s0.createQueue(name("cum"));
            sendTexts(s0, q, seq("k", 0, 5), DeliveryMode.PERSISTENT);
            Session s1 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer mc = s1.createConsumer(q);
            List<Message> first = expectTexts(mc, seq("k", 0, 3), 0);
            first.get(1).acknowledge();  // acknowledges everything consumed so far: k0..k2
            expectTexts(mc, seq("k", 3, 5), 0);
            s1.close();
            Session s2 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            for (Message m : expectTexts(s2.createConsumer(q), seq("k", 3, 5), 500)) {
                eq(true, m.getJMSRedelivered(), "unacknowledged message redelivered");
                eq(2, m.getIntProperty("JMSXDeliveryCount"), "JMSXDeliveryCount");
            }
        } finally {
            closeQuietly(c);
        }
    }

    static void ackIndividual() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s0 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s0.createQueue(name("indiv"));
            sendTexts(s0, q, seq("i", 0, 5), DeliveryMode.PERSISTENT);
            Session s1 = c.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
            List<Message> got = expectTexts(s1.createConsumer(q), seq("i", 0, 5), 0);
            got.get(1).acknowledge();
            got.get(3).acknowledge();
            s1.close();
            Session s2 = c.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
            List<Message> back = expectTexts(s2.createConsumer(q), Arrays.asList("i0", "i2", "i4"), 500);
            for (Message m : back) eq(true, m.getJMSRedelivered(), "redelivered flag of " + textOf(m));
            for (Message m : back) m.acknowledge();
            s2.close();
            Session s3 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            check(s3.createConsumer(q).receive(500) == null, "individually acknowledged messages came back");
        } finally {
            closeQuietly(c);
        }
    }
}
