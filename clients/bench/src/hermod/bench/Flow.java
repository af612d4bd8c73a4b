package hermod.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TemporaryQueue;
import javax.jms.Topic;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSession;

/**
 * Runs one FlowSpec: its producer and consumer threads, each on its own connection (as
 * separate application instances would be), and the counters that let the run check that
 * exactly the expected messages arrived.
 *
 * Every message carries: brun (run id, so leftovers of an earlier run on the same broker are
 * recognised and ignored), bp (phase: 0 prefill, 1 warm-up, 2 measured), bt (intended send
 * time, System.nanoTime of this JVM). Latency is receive time minus bt. With a target rate,
 * bt is the time the send was scheduled for, not when it actually happened, so a broker that
 * stalls the producer is charged for the whole stall (no coordinated omission).
 */
public final class Flow {
    static final int PREFILL = 0, WARMUP = 1, MEASURED = 2;

    final FlowSpec spec;
    final Bench run;
    final List<Thread> threads = new ArrayList<>();
    final List<Connection> connections = new CopyOnWriteArrayList<>();
    final List<Histogram> hists = new CopyOnWriteArrayList<>();

    // Counters indexed by phase.
    final AtomicLong[] sent = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    final AtomicLong[] sentMatch = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    final AtomicLong[] received = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    final AtomicLong sentBytes = new AtomicLong();
    final AtomicLong sentPersistent = new AtomicLong();
    final AtomicLong sentTransacted = new AtomicLong();
    final AtomicLong foreign = new AtomicLong();
    final AtomicLong countTickets = new AtomicLong();
    final AtomicLong lastReceiveNanos = new AtomicLong();
    volatile boolean stopProducers;
    volatile boolean stopConsumers;
    volatile long sendEndNanos;
    final AtomicLong producersRunning = new AtomicLong();

    Flow(FlowSpec spec, Bench run) {
        this.spec = spec;
        this.run = run;
    }

    /** Messages the consumers of this flow must receive for the given phase. */
    long expected(int phase) {
        long base = spec.selective() ? sentMatch[phase].get() : sent[phase].get();
        if (spec.kind == FlowSpec.Kind.TOPIC) {
            return base * spec.consumers;
        }
        return base;
    }

    boolean complete() {
        for (int p = 0; p < 3; p++) {
            if (received[p].get() < expected(p)) {
                return false;
            }
        }
        return true;
    }

    Connection connect(String clientId) throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(run.url);
        if (spec.prefetch >= 0) {
            f.getPrefetchPolicy().setAll(spec.prefetch);
        }
        if (spec.syncSend != null) {
            f.setAlwaysSyncSend(spec.syncSend);
            f.setUseAsyncSend(!spec.syncSend);
        }
        Connection c = f.createConnection();
        if (clientId != null) {
            c.setClientID(clientId);
        }
        c.setExceptionListener(e -> run.error(spec.name + ": connection: " + e));
        connections.add(c);
        c.start();
        return c;
    }

    Destination destination(Session s) throws JMSException {
        return spec.kind == FlowSpec.Kind.TOPIC ? s.createTopic(spec.dest) : s.createQueue(spec.dest);
    }

    int ackMode() {
        switch (spec.ack) {
            case "client": return Session.CLIENT_ACKNOWLEDGE;
            case "dups_ok": return Session.DUPS_OK_ACKNOWLEDGE;
            case "individual": return ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE;
            default: return Session.AUTO_ACKNOWLEDGE;
        }
    }

    /** Connects every consumer (so topic subscribers exist before the first publish). */
    void startConsumers() throws Exception {
        for (int i = 0; i < spec.consumers; i++) {
            final int idx = i;
            Histogram h = new Histogram();
            hists.add(h);
            String cid = spec.durable ? "bench-" + run.runId + "-" + spec.name + "-" + idx : null;
            Connection c = connect(cid);
            Session s = spec.consumerTx ? c.createSession(true, Session.SESSION_TRANSACTED)
                                        : c.createSession(false, ackMode());
            Destination d = destination(s);
            final MessageConsumer mc;
            if (spec.kind == FlowSpec.Kind.TOPIC && spec.durable) {
                mc = s.createDurableSubscriber((Topic) d, "bench", spec.selector, false);
            } else {
                mc = s.createConsumer(d, spec.selector);
            }
            Thread t = new Thread(() -> consumeLoop(s, mc, h), spec.name + "-consumer-" + idx);
            threads.add(t);
            t.start();
        }
    }

    void consumeLoop(Session s, MessageConsumer mc, Histogram h) {
        boolean reqrep = spec.kind == FlowSpec.Kind.REQUEST_REPLY;
        MessageProducer replier = null;
        int batch = Math.max(1, spec.txBatch);
        long[] pendingLat = new long[batch];
        int[] pendingPhase = new int[batch];
        int pending = 0;
        try {
            if (reqrep) {
                replier = s.createProducer(null);
                replier.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            }
            while (true) {
                Message m;
                try {
                    m = mc.receive(100);
                } catch (JMSException e) {
                    if (stopConsumers) {
                        break;
                    }
                    run.error(spec.name + ": receive: " + e);
                    sleep(100);
                    continue;
                }
                if (m == null) {
                    if (spec.consumerTx && pending > 0) {
                        pending = commitConsumer(s, pendingLat, pendingPhase, pending, h);
                    }
                    if (stopConsumers) {
                        break;
                    }
                    continue;
                }
                long now = System.nanoTime();
                if (!run.runId.equals(m.getStringProperty("brun"))) {
                    foreign.incrementAndGet();
                    if (spec.consumerTx) {
                        s.commit();
                    } else if (s.getAcknowledgeMode() != Session.AUTO_ACKNOWLEDGE
                               && s.getAcknowledgeMode() != Session.DUPS_OK_ACKNOWLEDGE) {
                        m.acknowledge();
                    }
                    continue;
                }
                int phase = m.getIntProperty("bp");
                long lat = now - m.getLongProperty("bt");
                if (reqrep) {
                    Message r = s.createMessage();
                    r.setJMSCorrelationID(m.getJMSCorrelationID());
                    r.setStringProperty("brun", run.runId);
                    r.setIntProperty("bp", phase);
                    r.setLongProperty("bt", m.getLongProperty("bt"));
                    replier.send(m.getJMSReplyTo(), r);
                }
                if (spec.consumerTx) {
                    pendingLat[pending] = lat;
                    pendingPhase[pending] = phase;
                    pending++;
                    if (pending == batch) {
                        pending = commitConsumer(s, pendingLat, pendingPhase, pending, h);
                    }
                    continue;
                }
                int mode = s.getAcknowledgeMode();
                if (mode == Session.CLIENT_ACKNOWLEDGE || mode == ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE) {
                    m.acknowledge();
                }
                if (!reqrep) {
                    count(phase, lat, h, now);
                }
            }
            if (spec.consumerTx && pending > 0) {
                commitConsumer(s, pendingLat, pendingPhase, pending, h);
            }
            if (spec.durable) {
                // A benchmark must not leave durable subscriptions collecting messages behind it.
                mc.close();
                s.unsubscribe("bench");
            }
        } catch (JMSException e) {
            if (!stopConsumers) {
                run.error(spec.name + ": consumer stopped: " + e);
            }
        }
    }

    /** Counts a transacted consumer's batch only once its commit succeeded (a failed commit redelivers). */
    int commitConsumer(Session s, long[] lat, int[] phase, int n, Histogram h) {
        try {
            s.commit();
        } catch (JMSException e) {
            run.error(spec.name + ": consumer commit: " + e);
            return 0;
        }
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            count(phase[i], lat[i], h, now);
        }
        return 0;
    }

    void count(int phase, long latNanos, Histogram h, long now) {
        if (phase < 0 || phase > 2) {
            return;
        }
        received[phase].incrementAndGet();
        if (phase == MEASURED) {
            h.record(latNanos / 1000);
            lastReceiveNanos.accumulateAndGet(now, Math::max);
        }
    }

    /** Sends spec.prefill messages (phase 0) from one connection, then returns. */
    void prefill() throws Exception {
        if (spec.prefill <= 0) {
            return;
        }
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(destination(s));
        Sender snd = new Sender(s, null, p, null, 0);
        for (long i = 0; i < spec.prefill && !run.aborted; i++) {
            snd.sendOne(PREFILL, System.nanoTime(), false);
        }
        c.close();
        connections.remove(c);
    }

    void startProducers() throws Exception {
        for (int i = 0; i < spec.producers; i++) {
            final int idx = i;
            Connection c = connect(null);
            Session plain = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session tx = spec.txShare > 0 ? c.createSession(true, Session.SESSION_TRANSACTED) : null;
            Destination d = destination(plain);
            MessageProducer pp = plain.createProducer(d);
            MessageProducer tp = tx != null ? tx.createProducer(d) : null;
            Sender snd = new Sender(plain, tx, pp, tp, idx);
            if (spec.kind == FlowSpec.Kind.REQUEST_REPLY) {
                Histogram h = new Histogram();
                hists.add(h);
                TemporaryQueue tq = plain.createTemporaryQueue();
                snd.replyTo = tq;
                snd.replies = plain.createConsumer(tq);
                snd.hist = h;
            }
            producersRunning.incrementAndGet();
            Thread t = new Thread(() -> {
                try {
                    snd.loop();
                } finally {
                    if (producersRunning.decrementAndGet() == 0) {
                        sendEndNanos = System.nanoTime();
                    }
                }
            }, spec.name + "-producer-" + idx);
            threads.add(t);
            t.start();
        }
    }

    /** One producer: pacing, size/persistence/transaction choices, and exact send counting. */
    final class Sender {
        final Session plain, tx;
        final MessageProducer pp, tp;
        final Random rnd;
        final byte[][] payloads;
        long seq;
        double persistAcc, txAcc;
        Destination replyTo;
        MessageConsumer replies;
        Histogram hist;

        Sender(Session plain, Session tx, MessageProducer pp, MessageProducer tp, int idx) {
            this.plain = plain;
            this.tx = tx;
            this.pp = pp;
            this.tp = tp;
            this.rnd = new Random(0x5eed + 31L * idx + spec.name.hashCode());
            payloads = new byte[spec.sizes.length][];
            for (int i = 0; i < spec.sizes.length; i++) {
                payloads[i] = new byte[spec.sizes[i]];
                rnd.nextBytes(payloads[i]);
            }
        }

        byte[] pickPayload() {
            if (payloads.length == 1) {
                return payloads[0];
            }
            double total = 0;
            for (double w : spec.sizeWeights) {
                total += w;
            }
            double x = rnd.nextDouble() * total;
            for (int i = 0; i < payloads.length; i++) {
                x -= spec.sizeWeights[i];
                if (x < 0) {
                    return payloads[i];
                }
            }
            return payloads[payloads.length - 1];
        }

        /** Error-diffusion choice: exactly round(share * n) of n decisions come out true. */
        boolean diffuse(double share, boolean persist) {
            double acc = (persist ? persistAcc : txAcc) + share;
            boolean yes = acc >= 1 - 1e-9;
            if (yes) {
                acc -= 1;
            }
            if (persist) {
                persistAcc = acc;
            } else {
                txAcc = acc;
            }
            return yes;
        }

        /** Builds and sends one message; returns whether it matches the selector rule. */
        boolean sendOne(int phase, long intended, boolean inTx) throws JMSException {
            Session s = inTx ? tx : plain;
            MessageProducer p = inTx ? tp : pp;
            BytesMessage m = s.createBytesMessage();
            byte[] body = pickPayload();
            m.writeBytes(body);
            m.setStringProperty("brun", run.runId);
            m.setIntProperty("bp", phase);
            m.setLongProperty("bt", intended);
            boolean match = true;
            if (spec.matchEvery > 0) {
                match = seq % spec.matchEvery == 0;
                m.setStringProperty("region", match ? "EU" : "US");
            }
            seq++;
            boolean persistent = diffuse(spec.persistentShare, true);
            if (replyTo != null) {
                m.setJMSReplyTo(replyTo);
                m.setJMSCorrelationID(Long.toString(seq));
            }
            p.send(m, persistent ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT,
                   Message.DEFAULT_PRIORITY, 0);
            if (!inTx) {
                sent[phase].incrementAndGet();
                if (match) {
                    sentMatch[phase].incrementAndGet();
                }
            }
            sentBytes.addAndGet(body.length);
            if (persistent) {
                sentPersistent.incrementAndGet();
            }
            return match;
        }

        void loop() {
            double perProducerRate = spec.rate > 0 ? spec.rate / spec.producers : 0;
            long interval = perProducerRate > 0 ? (long) (1e9 / perProducerRate) : 0;
            long start = System.nanoTime();
            long i = 0;
            int batch = Math.max(1, spec.txBatch);
            int errorsHere = 0;
            while (!stopProducers && !run.aborted) {
                boolean inTx = tx != null && diffuse(spec.txShare, false);
                int n = inTx ? batch : 1;
                int[] phases = new int[n];
                boolean[] matches = new boolean[n];
                int done = 0;
                try {
                    for (; done < n; done++) {
                        if (spec.count > 0 && countTickets.getAndIncrement() >= spec.count) {
                            break;
                        }
                        long intended;
                        if (interval > 0) {
                            intended = start + i * interval;
                            long wait;
                            while ((wait = intended - System.nanoTime()) > 0 && !stopProducers) {
                                LockSupport.parkNanos(Math.min(wait, 50_000_000L));
                            }
                            if (stopProducers) {
                                break;
                            }
                        } else {
                            intended = System.nanoTime();
                        }
                        i++;
                        phases[done] = run.phase;
                        matches[done] = sendOne(phases[done], intended, inTx);
                        if (replies != null) {
                            awaitReply(phases[done], intended);
                        }
                    }
                    if (inTx && done > 0) {
                        tx.commit();
                        sentTransacted.addAndGet(done);
                        for (int k = 0; k < done; k++) {
                            sent[phases[k]].incrementAndGet();
                            if (matches[k]) {
                                sentMatch[phases[k]].incrementAndGet();
                            }
                        }
                    }
                } catch (JMSException e) {
                    run.error(spec.name + ": send: " + e);
                    if (inTx) {
                        try {
                            tx.rollback();
                        } catch (JMSException ignored) {
                            // The rollback failing means the session is gone; the next send reports it.
                        }
                    }
                    if (++errorsHere > 100) {
                        run.error(spec.name + ": producer gave up after 100 errors");
                        return;
                    }
                    sleep(100);
                }
                if (done < n) {
                    return;
                }
            }
        }

        void awaitReply(int phase, long intended) throws JMSException {
            String want = Long.toString(seq);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    run.error(spec.name + ": no reply within 10 s to request " + want);
                    return;
                }
                Message r = replies.receive(Math.max(1, left / 1_000_000));
                if (r == null) {
                    continue;
                }
                if (want.equals(r.getJMSCorrelationID())) {
                    long now = System.nanoTime();
                    count(phase, now - intended, hist, now);
                    return;
                }
                foreign.incrementAndGet();
            }
        }
    }

    void closeAll() {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Closing after a broker failure throws; nothing left to release.
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
