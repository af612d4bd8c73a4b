package hermod.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.XAConnection;
import javax.jms.XASession;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.ActiveMQXAConnectionFactory;
import org.apache.activemq.command.ActiveMQQueue;

/**
 * XA two-phase commit workload (project issue 5): what an application server's message-driven
 * bean does under a transaction manager, without the application server.
 *
 * One global transaction = the classic "receive and forward" unit of work:
 *   resource 1 (its own XAConnection): start branch, receive one persistent message from IN, end
 *   resource 2 (another XAConnection): start branch, send one persistent message to OUT, end
 *   prepare both branches, then commit both (onePhase=false): a full two-phase commit.
 * The two branches share one global transaction id and have different branch qualifiers, as a
 * transaction manager enlists two resources it does not join (isSameRM not used). With
 * --resources 1 both the receive and the send run in one branch on one XASession, still
 * prepared and committed in two phases.
 *
 * Around it: a feeder (ordinary connection, local transactions of 50) keeps IN about --backlog
 * messages deep, and a drainer (ordinary auto-acknowledge consumer) empties OUT. The tool checks
 * exactly-once both ways: no IN message is consumed by two committed transactions, and OUT
 * receives exactly one message per committed transaction, no more, no less.
 *
 * Throughput is committed global transactions per second in the measured phase; latency is one
 * transaction's duration as the transaction manager sees it (start of branch 1 to the return of
 * the last commit), so it includes both prepares and both commits.
 *
 * Reached through Bench: Bench --xa [options] (see USAGE). Results use Bench's key=value file.
 */
final class XaBench {
    static final int WARM = 0, MEASURED = 1, AFTER = 2;
    static final int FORMAT_ID = 0x68726d64;   // "hrmd"

    static final String USAGE = String.join("\n",
        "usage: Bench --xa --url URL [options]    XA two-phase commits (receive in XA + send in XA)",
        "  --workers N          transaction-manager threads, each with its own XA connection(s) (default 1)",
        "  --resources 1|2      2 (default): receive and send on two XA connections, two branches;",
        "                       1: both in one branch on one XA session",
        "  --size BYTES         body of the forwarded message (default 256)",
        "  --prefetch N         prefetch of each worker's XA consumer (default 10)",
        "  --backlog N          messages the feeder keeps waiting on the input queue (default 2000)",
        "  --dest NAME          queue name prefix: NAME.in and NAME.out (default bench.xa)",
        "  --duration S --warmup S --drain-timeout S --out FILE --quiet   as for Bench");

    final String url, runId;
    final int workers, resources, size, prefetch, backlog;
    final String inName, outName;
    volatile int phase = WARM;
    volatile boolean stopWorkers, stopFeeder, stopDrainer;
    final AtomicLong errors = new AtomicLong();
    final List<String> firstErrors = new ArrayList<>();
    final AtomicLongArray committed = new AtomicLongArray(3);
    final AtomicLongArray drained = new AtomicLongArray(3);
    final AtomicLong fed = new AtomicLong(), taken = new AtomicLong(), empty = new AtomicLong();
    final Histogram txHist = new Histogram(), prepareHist = new Histogram(), commitHist = new Histogram();
    final Set<Long> inSeen = ConcurrentHashMap.newKeySet();
    final List<Thread> threads = new ArrayList<>();
    final List<Connection> conns = new ArrayList<>();

    XaBench(String url, int workers, int resources, int size, int prefetch, int backlog, String dest) {
        this.url = url;
        this.workers = workers;
        this.resources = resources;
        this.size = size;
        this.prefetch = prefetch;
        this.backlog = backlog;
        this.inName = dest + ".in";
        this.outName = dest + ".out";
        this.runId = Long.toString(System.currentTimeMillis() % 100_000_000L, 36)
            + Integer.toString((int) (Math.random() * 1296), 36);
    }

    static int run(String[] args) throws Exception {
        String url = "tcp://127.0.0.1:61616", out = null, dest = "bench.xa";
        int workers = 1, resources = 2, size = 256, prefetch = 10, backlog = 2000;
        double duration = 10, warmup = 2, drain = 15;
        boolean quiet = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--xa": break;
                    case "--help": case "-h": System.out.println(USAGE); return 0;
                    case "--url": url = args[++i]; break;
                    case "--workers": workers = Bench.posInt(args[++i], a); break;
                    case "--resources":
                        resources = Bench.posInt(args[++i], a);
                        if (resources > 2) {
                            throw new IllegalArgumentException("--resources is 1 or 2");
                        }
                        break;
                    case "--size": size = Bench.posInt(args[++i], a); break;
                    case "--prefetch": prefetch = Bench.posInt(args[++i], a); break;
                    case "--backlog": backlog = Bench.posInt(args[++i], a); break;
                    case "--dest": dest = args[++i]; break;
                    case "--duration": duration = Bench.posDouble(args[++i], a); break;
                    case "--warmup": warmup = Bench.nonNegDouble(args[++i], a); break;
                    case "--drain-timeout": drain = Bench.nonNegDouble(args[++i], a); break;
                    case "--out": out = args[++i]; break;
                    case "--quiet": quiet = true; break;
                    default: throw new IllegalArgumentException("unknown option for --xa: " + a);
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            System.err.println("missing value after the last option\n" + USAGE);
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + USAGE);
            return 2;
        }
        return new XaBench(url, workers, resources, size, prefetch, backlog, dest)
            .execute(duration, warmup, drain, out, quiet);
    }

    void error(String what) {
        long n = errors.incrementAndGet();
        synchronized (firstErrors) {
            if (firstErrors.size() < 10) {
                firstErrors.add(what);
            }
        }
        if (n <= 10) {
            System.err.println("error: " + what);
        }
    }

    /** A global transaction id: gtrid = run, worker, sequence; bqual = the resource number. */
    static final class BenchXid implements Xid {
        final byte[] gtrid, bqual;

        BenchXid(String run, int worker, long seq, int branch) {
            gtrid = (run + "-" + worker + "-" + seq).getBytes(StandardCharsets.US_ASCII);
            bqual = new byte[] {(byte) branch};
        }

        @Override public int getFormatId() { return FORMAT_ID; }
        @Override public byte[] getGlobalTransactionId() { return gtrid.clone(); }
        @Override public byte[] getBranchQualifier() { return bqual.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof Xid && ((Xid) o).getFormatId() == FORMAT_ID
                && Arrays.equals(gtrid, ((Xid) o).getGlobalTransactionId())
                && Arrays.equals(bqual, ((Xid) o).getBranchQualifier());
        }
        @Override public int hashCode() { return Arrays.hashCode(gtrid) * 31 + bqual[0]; }
    }

    XAConnection xaConnection() throws JMSException {
        ActiveMQXAConnectionFactory f = new ActiveMQXAConnectionFactory(url);
        f.setWatchTopicAdvisories(false);
        ActiveMQPrefetchPolicy p = new ActiveMQPrefetchPolicy();
        p.setAll(prefetch);
        f.setPrefetchPolicy(p);
        XAConnection c = f.createXAConnection();
        synchronized (conns) {
            conns.add(c);
        }
        c.start();
        return c;
    }

    Connection plainConnection() throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        f.setWatchTopicAdvisories(false);
        Connection c = f.createConnection();
        synchronized (conns) {
            conns.add(c);
        }
        c.start();
        return c;
    }

    /** Keeps IN about `backlog` deep with persistent messages, in local transactions of 50. */
    void feeder() {
        try {
            Connection c = plainConnection();
            Session s = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer p = s.createProducer(new ActiveMQQueue(inName));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            byte[] body = new byte[size];
            long seq = 0;
            while (!stopFeeder) {
                if (fed.get() - taken.get() >= backlog) {
                    Flow.sleep(2);
                    continue;
                }
                for (int i = 0; i < 50; i++) {
                    BytesMessage m = s.createBytesMessage();
                    m.writeBytes(body);
                    m.setStringProperty("run", runId);
                    m.setLongProperty("seq", seq++);
                    p.send(m);
                }
                s.commit();
                fed.addAndGet(50);
            }
        } catch (Exception e) {
            if (!stopFeeder) {
                error("feeder: " + e);
            }
        }
    }

    /** Empties OUT with an ordinary consumer and checks one message per committed transaction. */
    void drainer() {
        Set<Long> seen = new HashSet<>();
        try {
            Connection c = plainConnection();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer mc = s.createConsumer(new ActiveMQQueue(outName));
            while (!stopDrainer) {
                Message m = mc.receive(100);
                if (m == null || !runId.equals(m.getStringProperty("run"))) {
                    continue;
                }
                long id = m.getLongProperty("tx");
                if (!seen.add(id)) {
                    error("OUT message of transaction " + id + " received twice");
                    continue;
                }
                drained.incrementAndGet(m.getIntProperty("phase"));
            }
        } catch (Exception e) {
            if (!stopDrainer) {
                error("drainer: " + e);
            }
        }
    }

    /** One transaction-manager thread: receive-in-XA + send-in-XA, prepare all, commit all. */
    void worker(int w) {
        try {
            XAConnection ca = xaConnection();
            XASession sa = ca.createXASession();
            XAResource ra = sa.getXAResource();
            XASession sb = sa;
            XAResource rb = ra;
            if (resources == 2) {
                sb = xaConnection().createXASession();
                rb = sb.getXAResource();
            }
            Queue in = new ActiveMQQueue(inName);
            MessageConsumer consumer = sa.createConsumer(in);
            MessageProducer producer = sb.createProducer(new ActiveMQQueue(outName));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            byte[] body = new byte[size];
            long k = 0;
            while (!stopWorkers) {
                long seq = k++;
                Xid x1 = new BenchXid(runId, w, seq, 1);
                Xid x2 = resources == 2 ? new BenchXid(runId, w, seq, 2) : x1;
                int startPhase = phase;
                long t0 = System.nanoTime();
                ra.start(x1, XAResource.TMNOFLAGS);
                Message m = consumer.receive(1000);
                if (m == null) {
                    ra.end(x1, XAResource.TMFAIL);
                    ra.rollback(x1);
                    empty.incrementAndGet();
                    continue;
                }
                if (runId.equals(m.getStringProperty("run")) && !inSeen.add(m.getLongProperty("seq"))) {
                    error("IN message " + m.getLongProperty("seq") + " consumed by two committed transactions");
                }
                if (resources == 2) {
                    ra.end(x1, XAResource.TMSUCCESS);
                    rb.start(x2, XAResource.TMNOFLAGS);
                }
                BytesMessage o = sb.createBytesMessage();
                o.writeBytes(body);
                o.setStringProperty("run", runId);
                o.setLongProperty("tx", ((long) w << 40) | seq);
                int commitPhase = phase;
                o.setIntProperty("phase", commitPhase);
                producer.send(o);
                rb.end(x2, XAResource.TMSUCCESS);
                long tp = System.nanoTime();
                int va = ra.prepare(x1);
                int vb = resources == 2 ? rb.prepare(x2) : XAResource.XA_RDONLY;
                long tc = System.nanoTime();
                if (va == XAResource.XA_OK) {
                    ra.commit(x1, false);
                } else {
                    error("prepare of the receiving branch returned " + va + ", not XA_OK");
                }
                if (resources == 2) {
                    if (vb == XAResource.XA_OK) {
                        rb.commit(x2, false);
                    } else {
                        error("prepare of the sending branch returned " + vb + ", not XA_OK");
                    }
                }
                long t1 = System.nanoTime();
                taken.incrementAndGet();
                committed.incrementAndGet(commitPhase);
                if (startPhase == MEASURED && commitPhase == MEASURED) {
                    txHist.record((t1 - t0) / 1000);
                    prepareHist.record((tc - tp) / 1000);
                    commitHist.record((t1 - tc) / 1000);
                }
            }
        } catch (XAException e) {
            // a transaction manager never expects one here, stopping or not
            error("worker " + w + ": XAException errorCode=" + e.errorCode + ": " + e.getMessage());
        } catch (Exception e) {
            if (!stopWorkers) {
                error("worker " + w + ": " + e);
            }
        }
    }

    Thread spawn(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return t;
    }

    int execute(double duration, double warmup, double drain, String out, boolean quiet) throws Exception {
        PrintStream o = System.out;
        o.printf(Locale.ROOT, "bench XA two-phase commit against %s (run %s)%n", url, runId);
        o.printf(Locale.ROOT, "  per global transaction: %s; %d worker(s), %d B bodies, persistent, prefetch %d, backlog %d%n",
            resources == 2 ? "receive from " + inName + " on XA connection 1, send to " + outName
                + " on XA connection 2, prepare both, commit both"
                : "receive from " + inName + " and send to " + outName + " in one branch, prepare, commit",
            workers, size, prefetch, backlog);
        Map<String, String> res = new LinkedHashMap<>();
        try {
            Connection c = xaConnection();
            c.close();
        } catch (Exception e) {
            o.println("ERROR: cannot open an XA connection to " + url + ": " + e);
            res.put("status", "error");
            res.put("error", "cannot connect: " + e);
            Bench.write(out, res);
            return 1;
        }
        Thread drainT = spawn("xa-drainer", this::drainer);
        Thread feedT = spawn("xa-feeder", this::feeder);
        long waitFeed = System.nanoTime() + 30_000_000_000L;
        while (fed.get() < Math.min(backlog, 500) && System.nanoTime() < waitFeed && errors.get() == 0) {
            Flow.sleep(10);
        }
        phase = warmup > 0 ? WARM : MEASURED;
        List<Thread> ws = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            final int id = w;
            ws.add(spawn("xa-worker-" + w, () -> worker(id)));
        }
        long start = System.nanoTime();
        long measureStart = start + (long) (warmup * 1e9);
        long sendEnd = measureStart + (long) (duration * 1e9);
        long next = start + 1_000_000_000L, lastC = 0, lastD = 0;
        while (System.nanoTime() < sendEnd && ws.stream().anyMatch(Thread::isAlive)) {
            long now = System.nanoTime();
            if (phase == WARM && now >= measureStart) {
                phase = MEASURED;
            }
            if (now >= next && !quiet) {
                long c = committed.get(0) + committed.get(1) + committed.get(2);
                long d = drained.get(0) + drained.get(1) + drained.get(2);
                System.err.printf(Locale.ROOT, "[%4.0fs %s] committed %d (+%d/s) out received %d (+%d/s) tx p50 %s p99 %s errors %d%n",
                    (now - start) / 1e9, phase == WARM ? "warm" : "load", c, c - lastC, d, d - lastD,
                    txHist.count() == 0 ? "-" : Bench.ms(txHist.percentile(0.5)),
                    txHist.count() == 0 ? "-" : Bench.ms(txHist.percentile(0.99)), errors.get());
                lastC = c;
                lastD = d;
                next += 1_000_000_000L;
            }
            Flow.sleep(20);
        }
        phase = AFTER;
        long measureEnd = System.nanoTime();
        stopWorkers = true;
        for (Thread t : ws) {
            t.join(30_000);
        }
        stopFeeder = true;
        feedT.join(30_000);
        long drainEnd = System.nanoTime() + (long) (drain * 1e9);
        while (System.nanoTime() < drainEnd && drainedAll() < committedAll()) {
            Flow.sleep(20);
        }
        Flow.sleep(200);   // a duplicate arriving late must still be seen
        stopDrainer = true;
        drainT.join(10_000);
        boolean complete = drainedAll() == committedAll();
        synchronized (conns) {
            for (Connection c : conns) {
                try {
                    c.close();
                } catch (Exception e) {
                    // closing after the run; the broker may already be gone
                }
            }
        }
        long txMeasured = committed.get(MEASURED);
        double rate = txMeasured / Math.max(1e-9, (measureEnd - measureStart) / 1e9);
        String status = errors.get() > 0 ? "error" : complete ? "ok" : "incomplete";
        o.println("---- result (measured phase)");
        o.printf(Locale.ROOT, "  committed  %d global transactions in %.2f s = %.1f tx/s (%d in all phases)%n",
            txMeasured, (measureEnd - measureStart) / 1e9, rate, committedAll());
        o.printf(Locale.ROOT, "  out queue  received %d of %d (all phases); input messages fed %d, empty receives %d%n",
            drainedAll(), committedAll(), fed.get(), empty.get());
        o.printf(Locale.ROOT, "  tx latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%d samples; start of branch 1 to last commit)%n",
            Bench.ms(txHist.percentile(0.5)), Bench.ms(txHist.percentile(0.9)), Bench.ms(txHist.percentile(0.99)),
            Bench.ms(txHist.percentile(0.999)), Bench.ms(txHist.max()), txHist.count());
        o.printf(Locale.ROOT, "  phases     prepare p50 %s p99 %s; commit p50 %s p99 %s (all branches of one transaction)%n",
            Bench.ms(prepareHist.percentile(0.5)), Bench.ms(prepareHist.percentile(0.99)),
            Bench.ms(commitHist.percentile(0.5)), Bench.ms(commitHist.percentile(0.99)));
        o.println("  errors     " + errors.get());
        synchronized (firstErrors) {
            for (String e : firstErrors) {
                o.println("    " + e);
            }
        }
        o.println("STATUS: " + status + (complete ? "" : " (missing " + (committedAll() - drainedAll()) + " messages on OUT)"));
        res.put("status", status);
        res.put("unit", "tx");
        res.put("sent", Long.toString(txMeasured));
        res.put("received", Long.toString(drained.get(MEASURED)));
        res.put("expected", Long.toString(txMeasured));
        res.put("sent_all_phases", Long.toString(committedAll()));
        res.put("received_all_phases", Long.toString(drainedAll()));
        res.put("expected_all_phases", Long.toString(committedAll()));
        res.put("broker_messages", Long.toString(fed.get() + committedAll()));
        res.put("send_rate", String.format(Locale.ROOT, "%.1f", rate));
        res.put("recv_rate", String.format(Locale.ROOT, "%.1f", rate));
        res.put("p50_us", Long.toString(txHist.percentile(0.5)));
        res.put("p90_us", Long.toString(txHist.percentile(0.9)));
        res.put("p99_us", Long.toString(txHist.percentile(0.99)));
        res.put("p999_us", Long.toString(txHist.percentile(0.999)));
        res.put("max_us", Long.toString(txHist.max()));
        res.put("samples", Long.toString(txHist.count()));
        res.put("prepare_p50_us", Long.toString(prepareHist.percentile(0.5)));
        res.put("commit_p50_us", Long.toString(commitHist.percentile(0.5)));
        res.put("errors", Long.toString(errors.get()));
        synchronized (firstErrors) {
            if (!firstErrors.isEmpty()) {
                res.put("first_error", firstErrors.get(0).replace('\n', ' '));
            }
        }
        Bench.write(out, res);
        return complete && errors.get() == 0 ? 0 : 1;
    }

    long committedAll() {
        return committed.get(0) + committed.get(1) + committed.get(2);
    }

    long drainedAll() {
        return drained.get(0) + drained.get(1) + drained.get(2);
    }
}
