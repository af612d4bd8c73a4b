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

/** Message and property types, and headers, round trip exactly (registered by JmsSuite). */
final class JmsTypes {
    private JmsTypes() {}

    static void messageTypes() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(name("types"));
            MessageProducer p = s.createProducer(q);
            byte[] raw = new byte[256];
            for (int i = 0; i < raw.length; i++) raw[i] = (byte) i;
            Payload payload = new Payload(NON_ASCII, -42, new double[] { 1.5, -0.0, Double.MAX_VALUE },
                    Arrays.asList("a", "b\u00e9"));

            Message plain = s.createMessage();
            plain.setStringProperty("kind", "plain");
            p.send(plain);

            p.send(s.createTextMessage(NON_ASCII));
            p.send(s.createTextMessage());  // null text

            BytesMessage bm = s.createBytesMessage();
            bm.writeBoolean(true);
            bm.writeByte((byte) -128);
            bm.writeShort((short) -32768);
            bm.writeChar('\u263a');
            bm.writeInt(Integer.MIN_VALUE);
            bm.writeLong(Long.MAX_VALUE);
            bm.writeFloat(3.25f);
            bm.writeDouble(-1e300);
            bm.writeUTF(NON_ASCII);
            bm.writeBytes(raw);
            p.send(bm);

            MapMessage mm = s.createMapMessage();
            mm.setBoolean("bool", false);
            mm.setByte("byte", (byte) 127);
            mm.setShort("short", (short) 12345);
            mm.setChar("char", '\u00e9');
            mm.setInt("int", -7);
            mm.setLong("long", Long.MIN_VALUE);
            mm.setFloat("float", Float.MIN_VALUE);
            mm.setDouble("double", Math.PI);
            mm.setString("string", NON_ASCII_BMP);
            mm.setString("empty", "");
            mm.setBytes("bytes", raw);
            mm.setObject("obj", Integer.valueOf(99));
            p.send(mm);

            StreamMessage sm = s.createStreamMessage();
            sm.writeBoolean(true);
            sm.writeByte((byte) 1);
            sm.writeShort((short) 2);
            sm.writeChar('c');
            sm.writeInt(3);
            sm.writeLong(4L);
            sm.writeFloat(5.5f);
            sm.writeDouble(6.25);
            sm.writeString(NON_ASCII_BMP);
            sm.writeBytes(raw);
            sm.writeObject(Long.valueOf(-9));
            p.send(sm);

            p.send(s.createObjectMessage(payload));

            MessageConsumer mc = s.createConsumer(q);
            Message m = mc.receive(10_000);
            check(m != null && !(m instanceof TextMessage) && !(m instanceof BytesMessage) && !(m instanceof MapMessage)
                    && !(m instanceof StreamMessage) && !(m instanceof ObjectMessage), "plain Message, got " + m);
            eq("plain", m.getStringProperty("kind"), "plain message property");

            eq(NON_ASCII, textOf(mc.receive(10_000)), "TextMessage");
            eq(null, textOf(mc.receive(10_000)), "TextMessage with null text");

            m = mc.receive(10_000);
            check(m instanceof BytesMessage, "BytesMessage, got " + m);
            BytesMessage b = (BytesMessage) m;
            java.io.ByteArrayOutputStream utf = new java.io.ByteArrayOutputStream();
            new java.io.DataOutputStream(utf).writeUTF(NON_ASCII);  // writeUTF is Java's modified UTF-8
            eq(1L + 1 + 2 + 2 + 4 + 8 + 4 + 8 + utf.size() + 256, b.getBodyLength(), "bytes body length");
            eq(true, b.readBoolean(), "readBoolean");
            eq((byte) -128, b.readByte(), "readByte");
            eq((short) -32768, b.readShort(), "readShort");
            eq('\u263a', b.readChar(), "readChar");
            eq(Integer.MIN_VALUE, b.readInt(), "readInt");
            eq(Long.MAX_VALUE, b.readLong(), "readLong");
            eq(3.25f, b.readFloat(), "readFloat");
            eq(-1e300, b.readDouble(), "readDouble");
            eq(NON_ASCII, b.readUTF(), "readUTF");
            byte[] back = new byte[300];
            eq(256, b.readBytes(back), "readBytes count");
            eq(raw, Arrays.copyOf(back, 256), "readBytes content");
            eq(-1, b.readBytes(back), "end of bytes body");

            m = mc.receive(10_000);
            check(m instanceof MapMessage, "MapMessage, got " + m);
            MapMessage mr = (MapMessage) m;
            eq(new TreeSet<>(Arrays.asList("bool", "byte", "short", "char", "int", "long", "float", "double", "string",
                    "empty", "bytes", "obj")), new TreeSet<>(Collections.list((Enumeration<String>) mr.getMapNames())), "map names");
            eq(false, mr.getBoolean("bool"), "map bool");
            eq((byte) 127, mr.getByte("byte"), "map byte");
            eq((short) 12345, mr.getShort("short"), "map short");
            eq('\u00e9', mr.getChar("char"), "map char");
            eq(-7, mr.getInt("int"), "map int");
            eq(Long.MIN_VALUE, mr.getLong("long"), "map long");
            eq(Float.MIN_VALUE, mr.getFloat("float"), "map float");
            eq(Math.PI, mr.getDouble("double"), "map double");
            eq(NON_ASCII_BMP, mr.getString("string"), "map string");
            eq("", mr.getString("empty"), "map empty string");
            eq(raw, mr.getBytes("bytes"), "map bytes");
            eq(Integer.valueOf(99), mr.getObject("obj"), "map object");
            eq(null, mr.getObject("missing"), "map missing key");

            m = mc.receive(10_000);
            check(m instanceof StreamMessage, "StreamMessage, got " + m);
            StreamMessage sr = (StreamMessage) m;
            eq(true, sr.readBoolean(), "stream boolean");
            eq((byte) 1, sr.readByte(), "stream byte");
            eq((short) 2, sr.readShort(), "stream short");
            eq('c', sr.readChar(), "stream char");
            eq(3, sr.readInt(), "stream int");
            eq(4L, sr.readLong(), "stream long");
            eq(5.5f, sr.readFloat(), "stream float");
            eq(6.25, sr.readDouble(), "stream double");
            eq(NON_ASCII_BMP, sr.readString(), "stream string");
            eq(raw, sr.readObject(), "stream bytes");
            eq(Long.valueOf(-9), sr.readObject(), "stream object");
            expectThrows(MessageEOFException.class, "read past end of stream", sr::readObject);

            m = mc.receive(10_000);
            check(m instanceof ObjectMessage, "ObjectMessage, got " + m);
            eq(payload, ((ObjectMessage) m).getObject(), "ObjectMessage payload");

            check(mc.receive(300) == null, "no extra message");
        } finally {
            closeQuietly(c);
        }
    }

    static void propertyTypes() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(name("props"));
            Message m = s.createMessage();
            m.setBooleanProperty("pBool", true);
            m.setByteProperty("pByte", (byte) -1);
            m.setShortProperty("pShort", Short.MIN_VALUE);
            m.setIntProperty("pInt", Integer.MAX_VALUE);
            m.setLongProperty("pLong", Long.MIN_VALUE);
            m.setFloatProperty("pFloat", -0.5f);
            m.setDoubleProperty("pDouble", Double.MIN_VALUE);
            m.setStringProperty("pString", NON_ASCII_BMP);
            m.setStringProperty("pEmpty", "");
            Object[] objs = { Boolean.FALSE, Byte.valueOf((byte) 7), Short.valueOf((short) 300), Integer.valueOf(-70000),
                    Long.valueOf(1L << 40), Float.valueOf(1.25f), Double.valueOf(-2.5e-10), "obj\u00e9" };
            for (int i = 0; i < objs.length; i++) m.setObjectProperty("pObj" + i, objs[i]);
            MessageProducer p = s.createProducer(q);
            p.send(m);
            Message r = s.createConsumer(q).receive(10_000);
            check(r != null, "message not received");
            eq(Boolean.TRUE, r.getObjectProperty("pBool"), "boolean property");
            eq(Byte.valueOf((byte) -1), r.getObjectProperty("pByte"), "byte property");
            eq(Short.valueOf(Short.MIN_VALUE), r.getObjectProperty("pShort"), "short property");
            eq(Integer.valueOf(Integer.MAX_VALUE), r.getObjectProperty("pInt"), "int property");
            eq(Long.valueOf(Long.MIN_VALUE), r.getObjectProperty("pLong"), "long property");
            eq(Float.valueOf(-0.5f), r.getObjectProperty("pFloat"), "float property");
            eq(Double.valueOf(Double.MIN_VALUE), r.getObjectProperty("pDouble"), "double property");
            eq(NON_ASCII_BMP, r.getObjectProperty("pString"), "string property");
            eq("", r.getObjectProperty("pEmpty"), "empty string property");
            for (int i = 0; i < objs.length; i++) eq(objs[i], r.getObjectProperty("pObj" + i), "object property pObj" + i);
            // JMS conversions work on the received values.
            eq("2147483647", r.getStringProperty("pInt"), "int property read as string");
            eq(-1L, r.getLongProperty("pByte"), "byte property read as long");
            Set<String> names = new TreeSet<>();
            for (String n : Collections.list((Enumeration<String>) r.getPropertyNames())) if (!n.startsWith("JMSX")) names.add(n);
            Set<String> want = new TreeSet<>(Arrays.asList("pBool", "pByte", "pShort", "pInt", "pLong", "pFloat", "pDouble",
                    "pString", "pEmpty"));
            for (int i = 0; i < objs.length; i++) want.add("pObj" + i);
            eq(want, names, "property names");
            eq(null, r.getObjectProperty("absent"), "absent property");
        } finally {
            closeQuietly(c);
        }
    }

    static void headers() throws Exception {
        ActiveMQConnection c = open(cf());
        try {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(name("hdr"));
            Queue replyQ = s.createQueue(name("hdr") + ".reply");
            Topic replyT = s.createTopic(name("hdr") + ".replyT");
            MessageProducer p = s.createProducer(q);

            TextMessage a = s.createTextMessage("a");
            a.setJMSCorrelationID("corr-\u00e9-1");
            a.setJMSType("it-type");
            a.setJMSReplyTo(replyQ);
            long before = System.currentTimeMillis();
            p.send(a, DeliveryMode.NON_PERSISTENT, 7, 600_000);
            long after = System.currentTimeMillis();

            TextMessage b = s.createTextMessage("b");
            b.setJMSCorrelationID("corr-2");
            b.setJMSReplyTo(replyT);
            p.send(b, DeliveryMode.PERSISTENT, 2, 0);

            check(a.getJMSTimestamp() >= before && a.getJMSTimestamp() <= after, "send set JMSTimestamp");
            eq(a.getJMSTimestamp() + 600_000, a.getJMSExpiration(), "send set JMSExpiration");
            check(a.getJMSMessageID() != null && a.getJMSMessageID().startsWith("ID:"), "send set JMSMessageID");
            check(!a.getJMSMessageID().equals(b.getJMSMessageID()), "message IDs differ");

            MessageConsumer mc = s.createConsumer(q);
            Message ra = mc.receive(10_000);
            Message rb = mc.receive(10_000);
            check(ra != null && rb != null, "both messages received");
            eq("a", textOf(ra), "first message");
            eq(a.getJMSMessageID(), ra.getJMSMessageID(), "JMSMessageID");
            eq(a.getJMSTimestamp(), ra.getJMSTimestamp(), "JMSTimestamp");
            eq(a.getJMSExpiration(), ra.getJMSExpiration(), "JMSExpiration");
            eq("corr-\u00e9-1", ra.getJMSCorrelationID(), "JMSCorrelationID");
            eq("it-type", ra.getJMSType(), "JMSType");
            eq(replyQ, ra.getJMSReplyTo(), "JMSReplyTo queue");
            eq(7, ra.getJMSPriority(), "JMSPriority");
            eq(DeliveryMode.NON_PERSISTENT, ra.getJMSDeliveryMode(), "JMSDeliveryMode non-persistent");
            eq(q, ra.getJMSDestination(), "JMSDestination");
            eq(false, ra.getJMSRedelivered(), "JMSRedelivered");

            eq("b", textOf(rb), "second message");
            eq(b.getJMSMessageID(), rb.getJMSMessageID(), "JMSMessageID b");
            eq(b.getJMSTimestamp(), rb.getJMSTimestamp(), "JMSTimestamp b");
            eq(0L, rb.getJMSExpiration(), "JMSExpiration b (no TTL)");
            eq("corr-2", rb.getJMSCorrelationID(), "JMSCorrelationID b");
            eq(null, rb.getJMSType(), "JMSType b");
            eq(replyT, rb.getJMSReplyTo(), "JMSReplyTo topic");
            eq(2, rb.getJMSPriority(), "JMSPriority b");
            eq(DeliveryMode.PERSISTENT, rb.getJMSDeliveryMode(), "JMSDeliveryMode persistent");
            check(mc.receive(300) == null, "no extra message");
        } finally {
            closeQuietly(c);
        }
    }
}
