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

/** Message groups (registered by DeliverySuite). */
final class DeliveryGroups {
    private DeliveryGroups() {}

    /**
     * 6 groups over 3 consumers: each group pinned to one consumer, every consumer used, rounds in
     * order, JMSXGroupFirstForConsumer on each group's first message. Then the consumer owning G0
     * is closed: its groups move (each to one remaining consumer, flagged first again), the
     * other groups stay where they were.
     */
    static void groupsPinnedAndMoved() throws Exception {
        try (Conns k = new Conns()) {
            Queue q = new org.apache.activemq.command.ActiveMQQueue(name("groups"));
            List<Collector> cs = new ArrayList<>();
            List<Session> sessions = new ArrayList<>();
            List<MessageConsumer> consumers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Session s = k.session("");
                Collector c = new Collector("c" + i);
                MessageConsumer mc = s.createConsumer(q);
                mc.setMessageListener(c);
                cs.add(c);
                sessions.add(s);
                consumers.add(mc);
            }
            Session ps = k.session("");
            sendGroups(ps, q, 0, 5);
            awaitTotal(cs, 30, 15_000, "phase 1");
            Thread.sleep(300);
            Map<String, Integer> owners1 = checkGroups(cs, 0, 5, null, "phase 1");
            log("phase 1 owners " + owners1);
            for (int ci = 0; ci < 3; ci++)
                check(owners1.containsValue(ci), "consumer " + ci + " got no group: " + owners1);
            int closed = owners1.get("G0");
            consumers.get(closed).close();
            sessions.get(closed).close();
            cs.set(closed, null);
            List<Collector> left = new ArrayList<>();
            for (Collector c : cs) if (c != null) left.add(c);
            synchronized (COUNT_LOCK) { for (Collector c : left) c.got.clear(); }
            sendGroups(ps, q, 5, 10);
            awaitTotal(left, 30, 15_000, "phase 2");
            Thread.sleep(300);
            Map<String, Integer> owners2 = checkGroups(cs, 5, 10, owners1, "phase 2");
            log("phase 2 owners " + owners2);
            for (Map.Entry<String, Integer> e : owners1.entrySet())
                if (e.getValue() != closed)
                    eq(e.getValue(), owners2.get(e.getKey()), "group " + e.getKey() + " stays on its consumer");
        }
    }

    /**
     * JMSXGroupSeq -1 closes a group: the next message of that group is assigned afresh
     * (JMSXGroupFirstForConsumer true again), the ones up to the close stay on one consumer.
     */
    static void groupSeqClose() throws Exception {
        try (Conns k = new Conns()) {
            Queue q = new org.apache.activemq.command.ActiveMQQueue(name("groupseq"));
            List<Collector> cs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Collector c = new Collector("c" + i);
                k.session("").createConsumer(q).setMessageListener(c);
                cs.add(c);
            }
            Session s = k.session("");
            MessageProducer p = s.createProducer(q);
            for (int n = 1; n <= 6; n++) {
                TextMessage m = s.createTextMessage("S" + n);
                m.setStringProperty("JMSXGroupID", "S");
                m.setIntProperty("n", n);
                if (n == 3) m.setIntProperty("JMSXGroupSeq", -1);
                p.send(m);
            }
            awaitTotal(cs, 6, 15_000, "group S");
            Thread.sleep(300);
            Map<Integer, Integer> where = new HashMap<>();
            Map<Integer, Boolean> first = new HashMap<>();
            for (int ci = 0; ci < 2; ci++)
                synchronized (COUNT_LOCK) {
                    int lastN = 0;
                    for (Message m : cs.get(ci).got) {
                        int n = m.getIntProperty("n");
                        check(n > lastN, "consumer " + ci + " got S" + n + " after S" + lastN);
                        lastN = n;
                        where.put(n, ci);
                        first.put(n, m.getBooleanProperty("JMSXGroupFirstForConsumer"));
                    }
                }
            log("consumer per message " + where + " first flags " + first);
            eq(6, where.size(), "messages of group S received");
            eq(where.get(1), where.get(2), "S2 on S1's consumer");
            eq(where.get(1), where.get(3), "S3 (JMSXGroupSeq -1) on S1's consumer");
            eq(where.get(4), where.get(5), "S5 on S4's consumer");
            eq(where.get(4), where.get(6), "S6 on S4's consumer");
            eq(true, first.get(1), "JMSXGroupFirstForConsumer of S1");
            eq(false, first.get(2), "JMSXGroupFirstForConsumer of S2");
            eq(false, first.get(3), "JMSXGroupFirstForConsumer of S3");
            eq(true, first.get(4), "JMSXGroupFirstForConsumer of S4 (group reopened after the close)");
            eq(false, first.get(5), "JMSXGroupFirstForConsumer of S5");
            eq(false, first.get(6), "JMSXGroupFirstForConsumer of S6");
        }
    }

    /**
     * The owner of a group closes with messages of the group still in its prefetch buffer (3 of
     * 10 consumed): the other consumer gets exactly the 7 others, in order, the first of them
     * flagged JMSXGroupFirstForConsumer, and then the group's later messages too.
     */
    static void groupCloseMovesPrefetched() throws Exception {
        try (Conns k = new Conns()) {
            Queue q = new org.apache.activemq.command.ActiveMQQueue(name("groupmove"));
            Session sx = k.session("");
            MessageConsumer x = sx.createConsumer(q);
            Session ps = k.session("");
            MessageProducer p = ps.createProducer(q);
            for (int n = 0; n < 10; n++) {
                TextMessage m = ps.createTextMessage("M" + n);
                m.setStringProperty("JMSXGroupID", "M");
                m.setIntProperty("n", n);
                p.send(m);
            }
            List<Integer> gotX = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Message m = x.receive(10_000);
                check(m != null, "group owner got only " + i + " messages");
                eq(i == 0, m.getBooleanProperty("JMSXGroupFirstForConsumer"), "JMSXGroupFirstForConsumer of M" + i + " on the owner");
                gotX.add(m.getIntProperty("n"));
            }
            eq(range(0, 3), gotX, "owner's messages");
            Session sy = k.session("");
            MessageConsumer y = sy.createConsumer(q);
            Message early = y.receive(1000);
            check(early == null, "second consumer got a group message while the owner was open: " + describe(early));
            x.close();
            List<Message> gotY = receiveExactly(y, 7, 1000, "second consumer after the owner closed");
            eq(range(3, 10), ints(gotY, "n"), "messages that moved");
            for (int i = 0; i < gotY.size(); i++)
                eq(i == 0, gotY.get(i).getBooleanProperty("JMSXGroupFirstForConsumer"),
                        "JMSXGroupFirstForConsumer of M" + (i + 3) + " on the new owner");
            for (int n = 10; n < 13; n++) {
                TextMessage m = ps.createTextMessage("M" + n);
                m.setStringProperty("JMSXGroupID", "M");
                m.setIntProperty("n", n);
                p.send(m);
            }
            eq(range(10, 13), ints(receiveExactly(y, 3, 500, "later group messages"), "n"), "later group messages on the new owner");
        }
    }
}
