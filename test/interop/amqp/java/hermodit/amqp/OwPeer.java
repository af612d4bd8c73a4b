package hermodit.amqp;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/* The OpenWire side of the AMQP suite's cross-protocol tests, driven by suite.py:
 *   OwPeer PORT send QUEUE            sends one message of every JMS kind, every property type and header
 *   OwPeer PORT recv QUEUE N [SEL]    receives N messages and prints one line per message describing
 *                                     its kind, headers, properties (name=type:value) and body
 *   OwPeer PORT sendtext DEST TEXT    one persistent TextMessage (queue://, topic:// or a queue name)
 * Output lines are "key=value" fields separated by TABs, so the Python side can compare exactly. */
public final class OwPeer {
    static String esc(Object o) {
        return String.valueOf(o).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    static Destination dest(Session s, String d) throws JMSException {
        if (d.startsWith("topic://")) return s.createTopic(d.substring(8));
        if (d.startsWith("queue://")) return s.createQueue(d.substring(8));
        return s.createQueue(d);
    }

    static void props(Message m, int i) throws JMSException {
        m.setBooleanProperty("pBool", true);
        m.setByteProperty("pByte", (byte) -7);
        m.setShortProperty("pShort", (short) -300);
        m.setIntProperty("pInt", 100000 + i);
        m.setLongProperty("pLong", 1L << 40);
        m.setFloatProperty("pFloat", 1.5f);
        m.setDoubleProperty("pDouble", -2.25);
        m.setStringProperty("pString", "héllo wörld");
        m.setJMSCorrelationID("corr-" + i);
        m.setJMSType("type-" + i);
    }

    static void send(Connection c, String q) throws Exception {
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(dest(s, q));
        p.setDeliveryMode(DeliveryMode.PERSISTENT);
        Destination reply = s.createQueue("reply.queue");
        List<Message> ms = new ArrayList<>();
        ms.add(s.createTextMessage("text body ünïcode"));
        BytesMessage b = s.createBytesMessage();
        b.writeBytes(new byte[] { 0, 1, 2, (byte) 255 });
        ms.add(b);
        MapMessage mm = s.createMapMessage();
        mm.setString("s", "v");
        mm.setInt("i", 42);
        mm.setLong("l", -5L);
        mm.setBoolean("b", false);
        mm.setDouble("d", 0.5);
        mm.setBytes("bytes", new byte[] { 9, 8 });
        ms.add(mm);
        StreamMessage sm = s.createStreamMessage();
        sm.writeString("one");
        sm.writeInt(2);
        sm.writeBoolean(true);
        ms.add(sm);
        ms.add(s.createObjectMessage(new ArrayList<>(Collections.singletonList("obj"))));
        ms.add(s.createMessage());
        int i = 0;
        for (Message m : ms) {
            props(m, i);
            m.setJMSReplyTo(reply);
            p.send(m, DeliveryMode.PERSISTENT, 7, i == 0 ? 600000 : 0);
            i++;
        }
        p.send(s.createTextMessage("grouped"), DeliveryMode.NON_PERSISTENT, 4, 0);
        s.close();
    }

    static String kind(Message m) {
        if (m instanceof TextMessage) return "text";
        if (m instanceof BytesMessage) return "bytes";
        if (m instanceof MapMessage) return "map";
        if (m instanceof StreamMessage) return "stream";
        if (m instanceof ObjectMessage) return "object";
        return "message";
    }

    static String typed(Object v) {
        if (v == null) return "null";
        String t = v.getClass().getSimpleName().toLowerCase();
        if (v instanceof byte[]) {
            StringBuilder sb = new StringBuilder("bytes:");
            for (byte x : (byte[]) v) sb.append(String.format("%02x", x));
            return sb.toString();
        }
        return t + ":" + esc(v);
    }

    static String body(Message m) throws JMSException {
        if (m instanceof TextMessage) return typed(((TextMessage) m).getText());
        if (m instanceof BytesMessage) {
            BytesMessage b = (BytesMessage) m;
            byte[] buf = new byte[(int) b.getBodyLength()];
            b.readBytes(buf);
            return typed(buf);
        }
        if (m instanceof MapMessage) {
            MapMessage mm = (MapMessage) m;
            List<String> names = new ArrayList<>();
            for (Enumeration<?> e = mm.getMapNames(); e.hasMoreElements();) names.add((String) e.nextElement());
            Collections.sort(names);
            StringBuilder sb = new StringBuilder("{");
            for (String n : names) sb.append(n).append('=').append(typed(mm.getObject(n))).append(';');
            return sb.append('}').toString();
        }
        if (m instanceof StreamMessage) {
            StreamMessage sm = (StreamMessage) m;
            StringBuilder sb = new StringBuilder("[");
            try {
                for (;;) sb.append(typed(sm.readObject())).append(';');
            } catch (MessageEOFException eof) {
                // end of the stream
            }
            return sb.append(']').toString();
        }
        if (m instanceof ObjectMessage) {
            Serializable o = ((ObjectMessage) m).getObject();
            return typed(o);
        }
        return "none";
    }

    static void recv(Connection c, String q, int n, String sel) throws Exception {
        Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer mc = sel == null ? s.createConsumer(dest(s, q)) : s.createConsumer(dest(s, q), sel);
        c.start();
        for (int i = 0; i < n; i++) {
            Message m = mc.receive(10000);
            if (m == null) {
                System.out.println("timeout");
                break;
            }
            StringBuilder sb = new StringBuilder();
            sb.append("kind=").append(kind(m));
            sb.append("\tid=").append(esc(m.getJMSMessageID()));
            sb.append("\tcorrelation=").append(esc(m.getJMSCorrelationID()));
            sb.append("\ttype=").append(esc(m.getJMSType()));
            sb.append("\tpriority=").append(m.getJMSPriority());
            sb.append("\tpersistent=").append(m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT);
            sb.append("\texpiring=").append(m.getJMSExpiration() > 0);
            sb.append("\treplyto=").append(esc(m.getJMSReplyTo()));
            sb.append("\tdest=").append(esc(m.getJMSDestination()));
            sb.append("\tredelivered=").append(m.getJMSRedelivered());
            sb.append("\tgroup=").append(esc(m.getStringProperty("JMSXGroupID")));
            List<String> names = new ArrayList<>();
            for (Enumeration<?> e = m.getPropertyNames(); e.hasMoreElements();) names.add((String) e.nextElement());
            Collections.sort(names);
            sb.append("\tprops=");
            for (String p : names) sb.append(p).append('=').append(typed(m.getObjectProperty(p))).append(';');
            sb.append("\tbody=").append(body(m));
            System.out.println(sb);
            m.acknowledge();
        }
        s.close();
    }

    public static void main(String[] a) throws Exception {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + a[0]);
        f.setTrustAllPackages(true);
        Connection c = f.createConnection();
        try {
            switch (a[1]) {
            case "send": send(c, a[2]); break;
            case "recv": recv(c, a[2], Integer.parseInt(a[3]), a.length > 4 ? a[4] : null); break;
            case "sendtext": {
                Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                s.createProducer(dest(s, a[2])).send(s.createTextMessage(a[3]));
                break;
            }
            default: throw new IllegalArgumentException(a[1]);
            }
        } finally {
            c.close();
        }
    }
}
