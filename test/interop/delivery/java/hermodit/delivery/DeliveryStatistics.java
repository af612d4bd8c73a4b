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
import static hermodit.delivery.DeliverySuite.*;

/** The statistics plugin's replies (registered by DeliverySuite). */
final class DeliveryStatistics {
    private DeliveryStatistics() {}

    /**
     * statisticsBrokerPlugin: ActiveMQ.Statistics.Destination.<queue> answers a MapMessage to
     * JMSReplyTo (correlation ID echoed) with the queue's name, enqueueCount 5, dequeueCount 2
     * (two consumed and acked), size 3, consumerCount 1 (the open consumer), producerCount 1;
     * a wildcard query with the List.End.With.Null property gets one reply per matching queue
     * and then an empty map.
     */
    static void statisticsDestination() throws Exception {
        try (Conns k = new Conns()) {
            String qn = name("stats");
            Session s = k.session("jms.prefetchPolicy.queuePrefetch=1");
            Queue q = s.createQueue(qn);
            sendNumbered(s, q, 0, 5);
            MessageConsumer c = s.createConsumer(q);
            eq(range(0, 2), ints(List.of(c.receive(10_000), c.receive(10_000)), "i"), "the two consumed messages");
            MessageProducer open = k.session("").createProducer(q);
            Thread.sleep(300);
            MapMessage m = statsRequest(s, "ActiveMQ.Statistics.Destination." + qn, "dest-" + RUN, false, 1).get(0);
            log("destination statistics keys " + mapNames(m));
            eq("queue://" + qn, m.getString("destinationName"), "destinationName");
            eq(BROKER_NAME, m.getString("brokerName"), "brokerName");
            eq(5L, num(m, "enqueueCount"), "enqueueCount");
            eq(2L, num(m, "dequeueCount"), "dequeueCount");
            eq(3L, num(m, "size"), "size");
            eq(1L, num(m, "consumerCount"), "consumerCount");
            eq(1L, num(m, "producerCount"), "producerCount (one producer open on the queue)");
            open.close();

            // Two more queues under one prefix, queried by wildcard with the end-of-list marker.
            String prefix = name("statsw");
            sendNumbered(s, s.createQueue(prefix + ".a"), 0, 1);
            sendNumbered(s, s.createQueue(prefix + ".b"), 0, 2);
            List<MapMessage> rs = statsRequest(s, "ActiveMQ.Statistics.Destination." + prefix + ".>", "wild-" + RUN, true, 3);
            Map<String, Long> sizes = new HashMap<>();
            for (int i = 0; i < 2; i++) sizes.put(rs.get(i).getString("destinationName"), num(rs.get(i), "size"));
            eq(Map.of("queue://" + prefix + ".a", 1L, "queue://" + prefix + ".b", 2L), sizes, "wildcard replies (name -> size)");
            eq(Set.of(), mapNames(rs.get(2)), "the end-of-list reply is an empty map");
        }
    }

    /**
     * A statistics request sent to a topic (topic://ActiveMQ.Statistics.Destination.<topic>) is
     * about topics: one reply for the topic, destinationName topic://<topic>, enqueueCount 3
     * (three published), consumerCount 1 (one subscriber); a queue of the same name is not reported.
     */
    static void statisticsTopic() throws Exception {
        try (Conns k = new Conns()) {
            String tn = name("statst");
            Session s = k.session("");
            sendNumbered(s, s.createQueue(tn), 0, 1);   // a queue of the same name must not answer
            Topic t = s.createTopic(tn);
            MessageConsumer sub = s.createConsumer(t);
            MessageProducer p = s.createProducer(t);
            for (int i = 0; i < 3; i++) p.send(s.createTextMessage("t" + i));
            p.close();
            eq(3, receiveExactly(sub, 3, 300, "topic subscriber").size(), "messages published");
            Thread.sleep(300);
            TemporaryQueue reply = s.createTemporaryQueue();
            MessageConsumer rc = s.createConsumer(reply);
            Message req = s.createMessage();
            req.setJMSReplyTo(reply);
            req.setJMSCorrelationID("topic-" + RUN);
            s.createProducer(s.createTopic("ActiveMQ.Statistics.Destination." + tn)).send(req);
            Message r = rc.receive(10_000);
            check(r instanceof MapMessage, "a MapMessage reply to the topic statistics request, got " + describe(r));
            MapMessage m = (MapMessage) r;
            eq("topic://" + tn, m.getString("destinationName"), "destinationName");
            eq(3L, num(m, "enqueueCount"), "enqueueCount");
            eq(1L, num(m, "consumerCount"), "consumerCount");
            Message extra = rc.receive(1000);
            check(extra == null, "a second reply (the queue of the same name?): " + describe(extra));
        }
    }

    /**
     * A queue whose persistent message expired (and went to the DLQ) while a live one was
     * consumed: enqueueCount 2, expiredCount 1, dequeueCount 2 (the consumed one and the expired
     * one both left the queue), size 0.
     */
    static void statisticsExpired() throws Exception {
        try (Conns k = new Conns()) {
            String qn = name("statsx");
            Session s = k.session("");
            Queue q = s.createQueue(qn);
            MessageProducer p = s.createProducer(q);
            p.send(s.createTextMessage("expires"), DeliveryMode.PERSISTENT, 4, 500);
            p.send(s.createTextMessage("live"), DeliveryMode.PERSISTENT, 4, 0);
            p.close();
            Thread.sleep(1500);
            MessageConsumer c = s.createConsumer(q);
            eq("live", ((TextMessage) receiveExactly(c, 1, 1000, "live message").get(0)).getText(), "delivered");
            c.close();
            Thread.sleep(300);
            MapMessage m = statsRequest(s, "ActiveMQ.Statistics.Destination." + qn, "x-" + RUN, false, 1).get(0);
            log("expired statistics " + m.getLong("enqueueCount") + "/" + m.getLong("dequeueCount") + "/" + m.getLong("expiredCount") + "/" + m.getLong("size"));
            eq(2L, num(m, "enqueueCount"), "enqueueCount");
            eq(1L, num(m, "expiredCount"), "expiredCount");
            eq(2L, num(m, "dequeueCount"), "dequeueCount");
            eq(0L, num(m, "size"), "size");
            eq(0L, num(m, "consumerCount"), "consumerCount");
        }
    }

    /**
     * ActiveMQ.Statistics.Broker answers one MapMessage: the broker's name and id and broker-wide
     * counters (at least the 4 messages this test sent, at least its own reply consumer) and the
     * memory/store/temp usage percentages and limits (ActiveMQ's reply has them all).
     */
    static void statisticsBroker() throws Exception {
        try (Conns k = new Conns()) {
            Session s = k.session("");
            sendNumbered(s, s.createQueue(name("statsb")), 0, 4);
            MapMessage m = statsRequest(s, "ActiveMQ.Statistics.Broker", "broker-" + RUN, false, 1).get(0);
            log("broker statistics keys " + mapNames(m));
            eq(BROKER_NAME, m.getString("brokerName"), "brokerName");
            check(m.getString("brokerId") != null && !m.getString("brokerId").isEmpty(), "brokerId present");
            check(num(m, "enqueueCount") >= 4, "broker enqueueCount counts this test's 4 messages, was " + m.getLong("enqueueCount"));
            check(num(m, "size") >= 4, "broker size counts this test's 4 queued messages, was " + m.getLong("size"));
            check(num(m, "consumerCount") >= 1, "broker consumerCount counts the reply consumer, was " + m.getLong("consumerCount"));
            num(m, "dequeueCount");
            num(m, "producerCount");
            // The health figures a monitoring script reads from this reply.
            for (String usage : new String[] { "memoryPercentUsage", "storePercentUsage", "tempPercentUsage" }) {
                long pct = num(m, usage);
                check(pct >= 0 && pct <= 100, usage + " is a percentage, was " + pct);
            }
            check(num(m, "storeLimit") > 0, "storeLimit is positive (persistent broker), was " + m.getLong("storeLimit"));
            check(num(m, "memoryLimit") > 0, "memoryLimit is positive, was " + m.getLong("memoryLimit"));
            check(!m.itemExists("destinationName"), "the broker reply names no destination");
        }
    }
}
