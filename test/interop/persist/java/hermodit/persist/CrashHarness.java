package hermodit.persist;

import static hermodit.Suite.check;
import static hermodit.Suite.log;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;

/**
 * The crash harness: cycles of mixed load (producers with numbered persistent sync sends,
 * CLIENT_ACK consumers with sync acks on three queues) ended by kill -9 of the broker at a
 * random moment, then a restart; after the last cycle every queue is drained. It checks, over
 * the whole run:
 *  - every message whose send() returned normally is delivered at least once;
 *  - no message is delivered after an acknowledge() covering it returned normally;
 *  - nothing is delivered that was never sent;
 *  - within one consumer, first deliveries from one producer on one queue come in send order.
 * -Dit.cycles (default 20), -Dit.seed (printed) and -Dit.loadMs=MIN-MAX (default 500-2000)
 * shape the run; run.sh maps CYCLES/SOAK/SEED onto them.
 */
final class CrashHarness {
    interface Ctl { void run(String cmd) throws Exception; }

    private final String[] queues;
    private final Set<String> attempted = ConcurrentHashMap.newKeySet();
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final Set<String> delivered = ConcurrentHashMap.newKeySet();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong deliveries = new AtomicLong();
    private final AtomicLong ackCalls = new AtomicLong();
    private final AtomicLong failedSends = new AtomicLong();
    private static final String PAD = "x".repeat(200);

    private CrashHarness(String run) {
        queues = new String[] {"it.crash.a." + run, "it.crash.b." + run, "it.crash.c." + run};
    }

    static void run(Ctl broker) throws Exception {
        int cycles = Integer.getInteger("it.cycles", 20);
        long seed = Long.getLong("it.seed", System.nanoTime() % 1_000_000L);
        String[] load = System.getProperty("it.loadMs", "500-2000").split("-");
        int loadMin = Integer.parseInt(load[0]), loadMax = Integer.parseInt(load[1]);
        log("crash harness: " + cycles + " cycles, seed " + seed + " (rerun with SEED=" + seed + "), load " + loadMin + "-" + loadMax + " ms");
        Random rnd = new Random(seed);
        CrashHarness h = new CrashHarness(PersistSuite.RUN);
        PersistSuite.ensureUp();
        for (int cycle = 0; cycle < cycles; cycle++) {
            h.cycle(cycle, rnd, loadMin + rnd.nextInt(Math.max(1, loadMax - loadMin + 1)), broker);
            if (h.violations.size() > 20) break;
        }
        h.finalDrain();
        List<String> lost = new ArrayList<>();
        for (String k : h.confirmed) if (!h.delivered.contains(k)) lost.add(k);
        Collections.sort(lost);
        log("crash harness: sends attempted " + h.attempted.size() + ", confirmed " + h.confirmed.size()
                + ", failed " + h.failedSends.get() + "; deliveries " + h.deliveries.get() + " of "
                + h.delivered.size() + " distinct; acked " + h.acked.size() + " in " + h.ackCalls.get() + " acknowledge() calls");
        if (!lost.isEmpty()) h.violations.add(lost.size() + " confirmed messages never delivered, e.g. " + lost.subList(0, Math.min(10, lost.size())));
        if (!h.violations.isEmpty()) {
            synchronized (h.violations) {
                throw new AssertionError(h.violations.size() + " violation(s): " + String.join("; ", h.violations.subList(0, Math.min(20, h.violations.size()))));
            }
        }
        // The harness must have exercised something, or it proves nothing.
        check(h.confirmed.size() >= cycles * 20, "only " + h.confirmed.size() + " confirmed sends in " + cycles + " cycles");
        check(h.acked.size() >= cycles * 10, "only " + h.acked.size() + " acked messages in " + cycles + " cycles");
    }

    private void violation(String what) {
        if (violations.size() < 100) violations.add(what);
    }

    /** One cycle: 3 producers, 4 consumers (two compete on queue a), kill -9 after loadMs, restart. */
    private void cycle(int cycle, Random rnd, int loadMs, Ctl broker) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Connection> conns = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        long before = confirmed.size(), ackedBefore = acked.size();
        for (int p = 0; p < 3; p++) {
            String pid = "c" + cycle + "p" + p;
            int offset = p;
            threads.add(new Thread(() -> produce(pid, offset, stop, conns), "prod-" + pid));
        }
        int[] consumerQueue = {0, 0, 1, 2};
        for (int i = 0; i < consumerQueue.length; i++) {
            String q = queues[consumerQueue[i]];
            long cseed = rnd.nextLong();
            String cid = "c" + cycle + "k" + i;
            threads.add(new Thread(() -> consume(cid, q, new Random(cseed), stop, conns, 0), "cons-" + cid));
        }
        for (Thread t : threads) { t.setDaemon(true); t.start(); }
        Thread.sleep(loadMs);
        broker.run("kill9");
        stop.set(true);
        for (Thread t : threads) t.join(15_000);
        for (Thread t : threads) if (t.isAlive()) violation("cycle " + cycle + ": client thread " + t.getName() + " still running 15 s after the crash");
        synchronized (conns) { for (Connection c : conns) PersistSuite.closeQuietly(c); }
        log("cycle " + cycle + ": load " + loadMs + " ms, +" + (confirmed.size() - before) + " confirmed, +"
                + (acked.size() - ackedBefore) + " acked");
        broker.run("start");
    }

    private void produce(String pid, int offset, AtomicBoolean stop, List<Connection> conns) {
        try {
            Connection c = PersistSuite.open("");
            conns.add(c);
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer[] ps = new MessageProducer[queues.length];
            for (int i = 0; i < queues.length; i++) {
                ps[i] = s.createProducer(s.createQueue(queues[i]));
                ps[i].setDeliveryMode(DeliveryMode.PERSISTENT);
            }
            for (int seq = 0; !stop.get(); seq++) {
                int qi = (seq + offset) % queues.length;
                String key = queues[qi] + "|" + pid + ":" + seq;
                TextMessage m = s.createTextMessage(key + " " + PAD);
                m.setStringProperty("pid", pid);
                m.setIntProperty("seq", seq);
                attempted.add(key);
                try {
                    ps[qi].send(m);
                } catch (Exception e) {
                    failedSends.incrementAndGet();
                    return;
                }
                confirmed.add(key);
            }
        } catch (Exception e) {
            // The broker died while connecting: nothing was confirmed, nothing to record.
        }
    }

    /**
     * Receives on q, checking each message; acknowledges every 1-5 messages (sync) and records
     * what an acknowledge() that returned covered. quietMs > 0: stop after that long with nothing.
     */
    private void consume(String cid, String q, Random rnd, AtomicBoolean stop, List<Connection> conns, long quietMs) {
        List<String> pending = new ArrayList<>();
        Map<String, Integer> lastFirst = new HashMap<>();
        try {
            Connection c = PersistSuite.open("jms.prefetchPolicy.all=" + (1 + rnd.nextInt(20)));
            conns.add(c);
            Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(s.createQueue(q));
            int ackEvery = quietMs > 0 ? 1 : 1 + rnd.nextInt(5);
            boolean first = true;
            while (!stop.get()) {
                Message m = mc.receive(quietMs > 0 ? (first ? Math.max(quietMs, 10_000) : quietMs) : 200);
                first = false;
                if (m == null) {
                    if (quietMs > 0) break;
                    continue;
                }
                deliveries.incrementAndGet();
                String pid = m.getStringProperty("pid");
                int seq = m.getIntProperty("seq");
                String key = q + "|" + pid + ":" + seq;
                String body = ((TextMessage) m).getText();
                if (!body.equals(key + " " + PAD)) violation(cid + ": body of " + key + " differs");
                if (!attempted.contains(key)) violation(cid + ": " + key + " was never sent");
                if (acked.contains(key)) violation(cid + ": " + key + " delivered again after its ack returned");
                if (delivered.add(key)) {
                    Integer last = lastFirst.put(pid, seq);
                    if (last != null && last >= seq)
                        violation(cid + " on " + q + ": first delivery of " + pid + " seq " + seq + " after seq " + last);
                }
                pending.add(key);
                if (pending.size() >= ackEvery) {
                    m.acknowledge();
                    ackCalls.incrementAndGet();
                    acked.addAll(pending);
                    pending.clear();
                    ackEvery = quietMs > 0 ? 1 : 1 + rnd.nextInt(5);
                }
            }
            if (quietMs > 0 && !pending.isEmpty()) violation(cid + ": drain ended with unacked messages");
        } catch (Exception e) {
            // The broker died: what is pending was not acked as far as we know.
            if (quietMs > 0) violation(cid + ": final drain failed: " + e);
        }
    }

    /** After the last restart: one consumer per queue (acking every message) until 2 s of quiet. */
    private void finalDrain() {
        List<Connection> conns = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Random rnd = new Random(1);
        List<Thread> threads = new ArrayList<>();
        for (String q : queues) {
            Thread t = new Thread(() -> consume("drain", q, rnd, stop, conns, 2000), "drain-" + q);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try { t.join(120_000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            if (t.isAlive()) violation("final drain " + t.getName() + " did not end within 120 s");
        }
        synchronized (conns) { for (Connection c : conns) PersistSuite.closeQuietly(c); }
    }
}
