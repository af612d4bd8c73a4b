package hermodit.limits;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import hermodit.RawWire;
import hermodit.Suite;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.Topic;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQQueue;
import org.apache.activemq.command.ActiveMQTempQueue;
import org.apache.activemq.command.ActiveMQTextMessage;
import org.apache.activemq.command.ActiveMQTopic;
import org.apache.activemq.command.ConnectionId;
import org.apache.activemq.command.ConnectionInfo;
import org.apache.activemq.command.ConsumerId;
import org.apache.activemq.command.ConsumerInfo;
import org.apache.activemq.command.DataStructure;
import org.apache.activemq.command.DestinationInfo;
import org.apache.activemq.command.MessageId;
import org.apache.activemq.command.ProducerId;
import org.apache.activemq.command.ProducerInfo;
import org.apache.activemq.command.RemoveInfo;
import org.apache.activemq.command.SessionId;
import org.apache.activemq.command.SessionInfo;
import org.apache.activemq.command.ShutdownInfo;

/**
 * The limits a client meets before and after the handshake (issue 12).  The broker runs with
 * transport.connectAttemptTimeout=2000, maximumConnections=400, maxInactivityDuration=3000 (initial
 * delay 1000) and inputBufferLimit="128 mb".  After every test a new JMS connection must still
 * send and receive, and the broker process must be alive (run.sh fails every test otherwise).
 * Memory is the broker's resident set from /proc/PID/status.
 */
public final class LimitsSuite {
    static final int PORT = Integer.getInteger("it.port", 62950);
    static final long PID = Long.getLong("it.pid", -1);
    static final String LOG = System.getProperty("it.log", "");
    static final int MAX_FRAME = 100 * 1024 * 1024;
    static final long CONNECT_ATTEMPT_MS = 2000;
    static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    static int seq;

    public static void main(String[] args) throws Exception {
        Suite s = new Suite(60);
        add(s, "remove_and_shutdown_before_handshake", 30, LimitsSuite::removeBeforeHandshake);
        add(s, "remove_and_shutdown_at_each_stage", 30, LimitsSuite::removeAtEachStage);
        add(s, "commands_before_handshake_close", 30, LimitsSuite::commandsBeforeHandshake);
        add(s, "frame_over_limit_before_handshake", 30, LimitsSuite::bigFrameBeforeHandshake);
        add(s, "handshake_deadline_silent_and_slow", 60, LimitsSuite::handshakeDeadline);
        add(s, "connection_slots_released_by_deadline", 60, LimitsSuite::slotsReleased);
        add(s, "inactivity_client_delay_1e12_capped", 30, () -> inactivity(1_000_000_000_000L));
        add(s, "inactivity_client_delay_int64_max", 30, () -> inactivity(Long.MAX_VALUE));
        add(s, "half_sent_frames_bounded_by_budget", 120, LimitsSuite::halfSentFrames);
        add(s, "declared_frames_hold_no_budget", 60, LimitsSuite::declaredFramesHoldNoBudget);
        add(s, "input_buffers_shrink_after_large_messages", 180, LimitsSuite::buffersShrink);
        add(s, "stalled_topic_consumers_reset", 120, () -> stalledConsumersReset(true));
        add(s, "stalled_queue_consumers_reset", 120, () -> stalledConsumersReset(false));
        add(s, "temp_destination_churn_memory_flat", 150, LimitsSuite::tempChurnFlat);
        System.exit(s.run(args) == 0 ? 0 : 1);
    }

    /** Every test ends with the broker serving a new JMS connection. */
    static void add(Suite s, String name, int limit, Suite.Body body) {
        s.add(name, limit, () -> {
            body.run();
            brokerServes(name);
        });
    }

    // ------------------------------------------------------------------ helpers

    static ActiveMQConnectionFactory cf() {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + PORT + "?connectionTimeout=5000");
        f.setCloseTimeout(3000);
        f.setConnectResponseTimeout(5000);
        f.setSendTimeout(30000);
        return f;
    }

    static void brokerServes(String test) throws Exception {
        Connection c = cf().createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("it.limits.serves." + test + "." + RUN);
            s.createProducer(q).send(s.createTextMessage("after-" + test));
            Message m = s.createConsumer(q).receive(10_000);
            check(m instanceof TextMessage && ((TextMessage) m).getText().equals("after-" + test),
                  "a new connection after the test did not get its message back");
        } finally {
            try { c.close(); } catch (JMSException e) { log("close: " + e); }
        }
    }

    static long rssKb() throws IOException {
        check(PID > 0, "broker pid unknown (-Dit.pid)");
        for (String line : Files.readAllLines(Paths.get("/proc/" + PID + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new AssertionError("no VmRSS in /proc/" + PID + "/status");
    }

    static String brokerLog() throws IOException {
        return new String(Files.readAllBytes(Paths.get(LOG)));
    }

    static RawWire raw() throws IOException {
        return new RawWire(PORT, MAX_FRAME);
    }

    static ConnectionId connectionId(String tag) {
        return new ConnectionId("ID:limits-" + tag + "-" + RUN + "-" + (++seq));
    }

    static <T extends org.apache.activemq.command.BaseCommand> T sync(T cmd, int id) {
        cmd.setCommandId(id);
        cmd.setResponseRequired(true);
        return cmd;
    }

    /** The four RemoveInfo kinds ActiveMQ's client sends, each expecting a response. */
    static List<RemoveInfo> removes(ConnectionId cid, int firstId) {
        SessionId sid = new SessionId(cid, 1);
        DataStructure[] ids = { new ProducerId(sid, 1), new ConsumerId(sid, 1), sid, cid };
        List<RemoveInfo> l = new ArrayList<>();
        for (DataStructure id : ids) l.add(sync(new RemoveInfo(id), firstId++));
        return l;
    }

    /** ConnectionInfo, SessionInfo, ProducerInfo, ConsumerInfo for cid; every one must be accepted. */
    static void openAll(RawWire r, ConnectionId cid, ActiveMQDestination d, int prefetch) throws IOException {
        SessionId sid = new SessionId(cid, 1);
        ConnectionInfo ci = sync(new ConnectionInfo(cid), 1);
        ci.setClientId(cid.getValue());
        ProducerInfo pi = sync(new ProducerInfo(new ProducerId(sid, 1)), 3);
        pi.setDestination(d);
        ConsumerInfo ki = sync(new ConsumerInfo(new ConsumerId(sid, 1)), 4);
        ki.setDestination(d);
        ki.setPrefetchSize(prefetch);
        Object[] cmds = { ci, sync(new SessionInfo(sid), 2), pi, ki };
        for (Object c : cmds) r.sendCommand(c);
        for (Object c : cmds) eq(RawWire.RESPONSE, r.readResponse(), "answer to " + c.getClass().getSimpleName());
    }

    // ------------------------------------------------------------------ 1 and 3: state before acting

    /** Each RemoveInfo kind and a ShutdownInfo as the very first frame: closed, broker up. */
    static void removeBeforeHandshake() throws Exception {
        List<Object> first = new ArrayList<>(removes(connectionId("pre"), 1));
        first.add(new ShutdownInfo());
        for (Object cmd : first) {
            try (RawWire r = raw()) {
                r.sendCommand(cmd);
                String problem = r.waitClosed(3000);
                check(problem == null, "a " + cmd + " before the WireFormatInfo did not close the connection: " + problem);
            }
        }
    }

    /** After the WireFormatInfo, after a ConnectionInfo with its objects, after RemoveInfo(connection)
     * and after ShutdownInfo: every RemoveInfo kind is answered with a Response, never a crash. */
    static void removeAtEachStage() throws Exception {
        try (RawWire r = raw()) {
            r.handshake();
            ConnectionId cid = connectionId("stages");
            for (RemoveInfo ri : removes(cid, 10)) {       // stage 1: no ConnectionInfo yet
                r.sendCommand(ri);
                eq(RawWire.RESPONSE, r.readResponse(), "answer to " + ri + " before ConnectionInfo");
            }
            openAll(r, cid, new ActiveMQQueue("it.limits.stages." + RUN), 10);   // stage 2
            for (RemoveInfo ri : removes(cid, 20)) {
                r.sendCommand(ri);
                eq(RawWire.RESPONSE, r.readResponse(), "answer to " + ri + " with everything open");
            }
            for (RemoveInfo ri : removes(cid, 30)) {       // stage 3: after RemoveInfo(connection)
                r.sendCommand(ri);
                eq(RawWire.RESPONSE, r.readResponse(), "answer to " + ri + " after RemoveInfo(connection)");
            }
            r.sendCommand(new ShutdownInfo());
            for (RemoveInfo ri : removes(cid, 40)) {       // stage 4: after ShutdownInfo
                r.sendCommand(ri);
                eq(RawWire.RESPONSE, r.readResponse(), "answer to " + ri + " after ShutdownInfo");
            }
            r.sendCommand(new ShutdownInfo());
            check(r.openAfter(300), "connection closed after a second ShutdownInfo");
        }
    }

    /** ConnectionInfo, SessionInfo, ProducerInfo and a message with no WireFormatInfo: each closes its
     * connection, and the message is neither stored nor delivered. */
    static void commandsBeforeHandshake() throws Exception {
        ConnectionId cid = connectionId("early");
        SessionId sid = new SessionId(cid, 1);
        ProducerId pid = new ProducerId(sid, 1);
        ActiveMQQueue q = new ActiveMQQueue("it.limits.early." + RUN);
        ActiveMQTextMessage m = sync(new ActiveMQTextMessage(), 4);
        m.setText("sent before the handshake");
        m.setProducerId(pid);
        m.setMessageId(new MessageId(pid, 1));
        m.setDestination(q);
        m.setPersistent(false);
        ProducerInfo pi = sync(new ProducerInfo(pid), 3);
        pi.setDestination(q);
        Object[] cmds = { sync(new ConnectionInfo(cid), 1), sync(new SessionInfo(sid), 2), pi, m };
        for (Object cmd : cmds) {
            try (RawWire r = raw()) {
                r.sendCommand(cmd);
                String problem = r.waitClosed(3000);
                check(problem == null, "a " + cmd.getClass().getSimpleName() + " before the WireFormatInfo was served: " + problem);
            }
        }
        Connection c = cf().createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Message got = s.createConsumer(s.createQueue(q.getPhysicalName())).receive(1500);
            check(got == null, "the message sent before the handshake was delivered: " + got);
        } finally {
            c.close();
        }
    }

    /** Before the handshake a frame may not be larger than a WireFormatInfo needs (a few KiB). */
    static void bigFrameBeforeHandshake() throws Exception {
        try (RawWire r = raw()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(b);
            d.writeInt(90 * 1024 * 1024);   // under maxFrameSize, far over the handshake's limit
            d.writeByte(RawWire.WIREFORMAT_INFO);
            d.write(new byte[1000]);
            r.send(b.toByteArray());
            String problem = r.waitClosed(3000);
            check(problem == null, "a 90 MiB frame declared before the handshake was waited for: " + problem);
        }
    }

    // ------------------------------------------------------------------ 4: the handshake deadline

    /** 300 silent connections and 50 that send a frame header then one byte every 250 ms: all
     * closed once connectAttemptTimeout (2 s) passes, none before 1 s, memory barely moves. */
    static void handshakeDeadline() throws Exception {
        long rss0 = rssKb();
        List<RawWire> silent = new ArrayList<>(), slow = new ArrayList<>();
        long t0 = System.currentTimeMillis();
        for (int i = 0; i < 300; i++) silent.add(raw());
        for (int i = 0; i < 50; i++) {
            RawWire r = raw();
            r.send(new byte[] { 0, 0, 0, (byte) 200 });
            slow.add(r);
        }
        Thread dribble = new Thread(() -> {
            for (int n = 0; n < 40; n++) {
                for (RawWire r : slow) if (!r.writeRefused) r.send(new byte[] { 1 });
                try { Thread.sleep(250); } catch (InterruptedException e) { return; }
            }
        });
        dribble.setDaemon(true);
        dribble.start();
        try {
            Thread.sleep(Math.max(0, 900 - (System.currentTimeMillis() - t0)));
            long rss1 = rssKb();
            log("resident memory " + rss0 / 1024 + " MB -> " + rss1 / 1024 + " MB with 350 connections before their handshake");
            check(rss1 - rss0 < 48 * 1024, "350 connections before their handshake grew the broker by " + (rss1 - rss0) / 1024 + " MB");
            for (int i = 0; i < 10; i++) check(silent.get(i).openAfter(1), "a silent connection was closed before 1 s");
            List<RawWire> all = new ArrayList<>(silent);
            all.addAll(slow);
            long deadline = t0 + CONNECT_ATTEMPT_MS + 4000;
            int open = 0;
            for (RawWire r : all) {
                if (r.waitClosed(Math.max(1, deadline - System.currentTimeMillis())) != null) open++;
            }
            log("closed all but " + open + " of 350 within " + (System.currentTimeMillis() - t0) + " ms");
            eq(0, open, "connections still open 4 s after the 2 s connectAttemptTimeout");
            check(brokerLog().contains("no handshake within 2000 ms"), "the broker did not log why it closed them");
        } finally {
            dribble.interrupt();
            for (RawWire r : silent) r.close();
            for (RawWire r : slow) r.close();
        }
    }

    /** maximumConnections=400: 400 silent sockets take every slot; once the deadline closes them,
     * a JMS connection gets in again. */
    static void slotsReleased() throws Exception {
        List<RawWire> hog = new ArrayList<>();
        try {
            for (int i = 0; i < 400; i++) hog.add(raw());
            Thread.sleep(300);
            boolean refused = false;
            try {
                Connection c = cf().createConnection();
                c.start();
                c.close();
            } catch (JMSException e) {
                refused = true;
                log("with every slot taken: " + e);
            }
            check(refused, "a 401st connection was accepted with maximumConnections=400");
            Thread.sleep(CONNECT_ATTEMPT_MS + 1500);
            // brokerServes (after this body) must now get in
        } finally {
            for (RawWire r : hog) r.close();
        }
    }

    // ------------------------------------------------------------------ 5: inactivity negotiation

    /** A client asking for an enormous initial delay still gets the broker's (1 s) and is closed
     * for silence after the broker's 3 s period, not never. */
    static void inactivity(long asked) throws Exception {
        try (RawWire r = raw()) {
            long t0 = System.currentTimeMillis();
            r.handshake(asked, asked);
            String problem = r.waitClosed(12_000);
            long ms = System.currentTimeMillis() - t0;
            check(problem == null, "a silent connection that asked for " + asked + " ms was not closed: " + problem);
            check(ms >= 2500, "closed after " + ms + " ms, before the 3 s inactivity period");
            log("silent connection closed after " + ms + " ms");
        }
    }

    // ------------------------------------------------------------------ 6: half-sent frames

    /** 16 connections each declare a 100 MiB frame and send up to 24 MiB of it, never finishing:
     * the broker's memory stays within its 128 MiB input budget (it stops reading the others),
     * and once they are gone a 30 MiB message goes through. */
    static void halfSentFrames() throws Exception {
        long rss0 = rssKb();
        List<RawWire> conns = new ArrayList<>();
        List<Thread> writers = new ArrayList<>();
        AtomicLong written = new AtomicLong();
        try {
            for (int i = 0; i < 16; i++) {
                RawWire r = raw();
                r.handshake();
                conns.add(r);
                Thread t = new Thread(() -> {
                    try {
                        DataOutputStream d = new DataOutputStream(r.out);
                        d.writeInt(MAX_FRAME - 16);
                        d.writeByte(28);                     // ACTIVEMQ_TEXT_MESSAGE
                        byte[] chunk = new byte[64 * 1024];
                        for (int n = 0; n < 24 * 16; n++) {
                            r.out.write(chunk);
                            written.addAndGet(chunk.length);
                        }
                    } catch (IOException e) {
                        /* the socket closed under us: done */
                    }
                });
                t.setDaemon(true);
                t.start();
                writers.add(t);
            }
            long last = -1;
            for (int i = 0; i < 40 && written.get() != last; i++) {   // until the writers stall
                last = written.get();
                Thread.sleep(500);
            }
            long rss1 = rssKb();
            log("clients wrote " + written.get() / (1024 * 1024) + " MiB; broker resident memory "
                + rss0 / 1024 + " MB -> " + rss1 / 1024 + " MB");
            check(rss1 - rss0 < (128 + 64) * 1024, "16 half-sent frames grew the broker by "
                  + (rss1 - rss0) / 1024 + " MB, over its 128 MiB input budget");
        } finally {
            for (RawWire r : conns) r.reset();
            for (Thread t : writers) t.join(5000);
        }
        Thread.sleep(1000);
        sendAndReceive(30 * 1024 * 1024, "it.limits.afterbudget." + RUN);
    }

    /** 8 connections declare 100 MiB frames (800 MiB, over the 128 MiB budget) and send 1 KiB of
     * each, then stay open: a frame header reserves nothing, so a 30 MiB message still goes
     * through meanwhile. */
    static void declaredFramesHoldNoBudget() throws Exception {
        List<RawWire> conns = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                RawWire r = raw();
                r.handshake();
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                DataOutputStream d = new DataOutputStream(b);
                d.writeInt(MAX_FRAME - 16);
                d.writeByte(28);                     // ACTIVEMQ_TEXT_MESSAGE
                d.write(new byte[1024]);
                r.send(b.toByteArray());
                conns.add(r);
            }
            Thread.sleep(500);
            sendAndReceive(30 * 1024 * 1024, "it.limits.declared." + RUN);
        } finally {
            for (RawWire r : conns) r.reset();
        }
    }

    /** One message of size bytes through a new connection; it must come back whole within 20 s. */
    static void sendAndReceive(int size, String queue) throws Exception {
        Connection c = cf().createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue(queue);
            BytesMessage m = s.createBytesMessage();
            m.writeBytes(new byte[size]);
            s.createProducer(q).send(m, DeliveryMode.NON_PERSISTENT, 4, 0);
            Message got = s.createConsumer(q).receive(20_000);
            check(got instanceof BytesMessage && ((BytesMessage) got).getBodyLength() == size,
                  "a " + size + "-byte message did not come back");
        } finally {
            c.close();
        }
    }

    // ------------------------------------------------------------------ temporary destinations

    /** A connection that makes and deletes temporary queues for ever does not grow the broker:
     * after a warm-up of 2,000, 20,000 create/delete pairs (DestinationInfo ADD and REMOVE, as
     * the client sends them) of names of 3,000 characters.  Their names used to pile up in the
     * client's pool: about 60 MB here. */
    static void tempChurnFlat() throws Exception {
        ActiveMQConnection c = (ActiveMQConnection) cf().createConnection();
        try {
            c.start();
            String pad = "x".repeat(3000);
            tempChurn(c, pad, 0, 2000);
            long rss0 = rssKb(), t0 = System.currentTimeMillis();
            tempChurn(c, pad, 2000, 20000);
            long rss1 = rssKb();
            log("broker resident memory " + rss0 / 1024 + " MB -> " + rss1 / 1024 + " MB over 20000 temporary queues made and deleted in "
                + (System.currentTimeMillis() - t0) + " ms");
            check(rss1 - rss0 < 16 * 1024, "20000 temporary queues made and deleted grew the broker by " + (rss1 - rss0) / 1024 + " MB");
        } finally {
            c.close();
        }
    }

    static void tempChurn(ActiveMQConnection c, String pad, int from, int n) throws Exception {
        ConnectionId cid = c.getConnectionInfo().getConnectionId();
        for (int i = from; i < from + n; i++) {
            ActiveMQTempQueue q = new ActiveMQTempQueue(cid.getValue() + ":" + i + ":" + pad);
            c.syncSendPacket(new DestinationInfo(cid, DestinationInfo.ADD_OPERATION_TYPE, q));
            c.syncSendPacket(new DestinationInfo(cid, DestinationInfo.REMOVE_OPERATION_TYPE, q));
        }
    }

    // ------------------------------------------------------------------ 7: buffers shrink

    /** 6 connections each send one 40 MiB message, which is consumed; the idle broker then holds
     * little more than before (each input buffer went back after its frame). */
    static void buffersShrink() throws Exception {
        long rss0 = rssKb();
        final int size = 40 * 1024 * 1024, n = 6;
        List<Connection> conns = new ArrayList<>();
        String qn = "it.limits.shrink." + RUN;
        try {
            byte[] body = new byte[size];
            for (int i = 0; i < n; i++) {
                Connection c = cf().createConnection();
                conns.add(c);
                c.start();
                Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                BytesMessage m = s.createBytesMessage();
                m.writeBytes(body);
                s.createProducer(s.createQueue(qn)).send(m, DeliveryMode.NON_PERSISTENT, 4, 0);
            }
            Session s = conns.get(0).createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(s.createQueue(qn + "?consumer.prefetchSize=1"));
            for (int i = 0; i < n; i++) {
                Message m = mc.receive(30_000);
                check(m instanceof BytesMessage && ((BytesMessage) m).getBodyLength() == size, "40 MiB message " + i + " not received");
            }
            mc.close();
            Thread.sleep(2500);
            long rss1 = rssKb();
            log("broker resident memory " + rss0 / 1024 + " MB before, " + rss1 / 1024
                + " MB idle after 6 x 40 MiB messages, connections still open");
            check(rss1 - rss0 < 100 * 1024, "the idle broker kept " + (rss1 - rss0) / 1024
                  + " MB more after the large messages were consumed");
        } finally {
            for (Connection c : conns) c.close();
        }
    }

    // ------------------------------------------------------------------ 2: SIGPIPE

    /** 20 consumers with prefetch 32767 that never read, then reset their sockets one by one while
     * a producer streams 32 KiB messages to them without pause, so that the broker still has output
     * for a socket whose reset it has just read (the write that used to raise SIGPIPE and end the
     * process): the broker stays up and logs each closed connection. */
    static void stalledConsumersReset(boolean topic) throws Exception {
        String name = "it.limits.stalled." + (topic ? "topic." : "queue.") + RUN;
        ActiveMQDestination d = topic ? new ActiveMQTopic(name) : new ActiveMQQueue(name);
        List<RawWire> stalled = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        Connection pc = cf().createConnection();
        AtomicLong sent = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread producer = null;
        try {
            for (int i = 0; i < 20; i++) {
                RawWire r = raw();
                r.handshake();
                openAll(r, connectionId("stalled"), d, 32767);
                stalled.add(r);
                ports.add(r.sock.getLocalPort());
            }
            pc.start();
            Session s = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(topic ? (Topic) s.createTopic(name) : s.createQueue(name));
            BytesMessage m = s.createBytesMessage();
            m.writeBytes(new byte[32 * 1024]);
            producer = new Thread(() -> {
                try {
                    while (!stop.get() && sent.get() < 20_000) {
                        p.send(m, DeliveryMode.NON_PERSISTENT, 4, 0);
                        sent.incrementAndGet();
                    }
                } catch (Exception e) {
                    log("producer: " + e);
                }
            });
            producer.setDaemon(true);
            producer.start();
            while (sent.get() < 50 && producer.isAlive()) Thread.sleep(5);
            for (RawWire r : stalled) {      // the producer keeps sending meanwhile
                r.reset();
                Thread.sleep(20);
            }
            Thread.sleep(500);
        } finally {
            stop.set(true);
            for (RawWire r : stalled) r.reset();
            if (producer != null) producer.join(10_000);
            pc.close();
        }
        log(sent.get() + " messages of 32 KiB sent while the consumers stalled and reset");
        Thread.sleep(1000);
        String log = brokerLog();
        for (int port : ports) {
            String peer = "connection 127.0.0.1:" + port + ": ";
            check(log.contains(peer), "the broker logged nothing about the reset consumer " + peer);
        }
    }
}
