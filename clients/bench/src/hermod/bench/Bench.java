package hermod.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.jms.Connection;

import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * JMS load tool for any OpenWire broker (hermod, ActiveMQ Classic).
 *
 *   java -cp build/bench-classes:$CLIENT_JARS hermod.bench.Bench --url tcp://127.0.0.1:61616 [options]
 *
 * Run with --help for the options. Exit status: 0 every expected message arrived and no
 * errors; 1 errors or missing messages; 2 bad usage; 3 the broker lacks a feature the
 * workload needs (reported as "UNSUPPORTED: ..."; nothing was measured).
 */
public final class Bench {
    final String url;
    final String runId;
    volatile int phase = Flow.WARMUP;
    volatile boolean aborted;
    final AtomicLong errors = new AtomicLong();
    final List<String> firstErrors = new ArrayList<>();

    Bench(String url) {
        this.url = url;
        this.runId = Long.toString(System.currentTimeMillis() % 100_000_000L, 36)
            + Integer.toString((int) (Math.random() * 1296), 36);
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

    static final String USAGE = String.join("\n",
        "usage: Bench --url URL [options]          one flow described by options",
        "       Bench --url URL --workload FILE    a mix of flows from a JSON workload file",
        "  --url URL            OpenWire broker URL (default tcp://127.0.0.1:61616)",
        "  --queue | --topic | --request-reply      destination kind (default queue)",
        "  --dest NAME          destination name (default bench.q / bench.t / bench.rr)",
        "  --producers N        producer connections (default 1)",
        "  --consumers N        consumer connections (default 1; responders for --request-reply)",
        "  --persistent | --non-persistent           delivery mode (default non-persistent)",
        "  --persistent-share F share 0..1 of persistent messages",
        "  --size BYTES         body size; or --sizes 256:0.5,4096:0.5 (bytes:weight,...)",
        "  --tx-batch N         producers and consumers use transactions of N messages",
        "  --ack MODE           auto | client | dups_ok | individual (default auto)",
        "  --prefetch N         consumer prefetch (default: client default)",
        "  --sync-send | --async-send               override the client's send mode",
        "  --duration S         seconds of measured load (default 10)",
        "  --warmup S           seconds of unmeasured load first (default 2)",
        "  --count N            send exactly N messages in total instead (no warm-up)",
        "  --rate R             target messages/s over all producers (0 = unthrottled);",
        "                       latency then counts from the intended send time",
        "  --selector EXPR      consumer selector; --match-every K marks every K-th message",
        "                       region='EU' and the rest region='US'",
        "  --prefill N          send N messages before consumers start (deep queue)",
        "  --durable            topic consumers use durable subscriptions",
        "  --drain-timeout S    how long to wait for outstanding messages (default 15)",
        "  --out FILE           also write key=value results to FILE",
        "  --quiet              no progress lines",
        "       Bench --xa --url URL [options]     XA two-phase commits; Bench --xa --help for its options");

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--xa")) {
            return XaBench.run(args);
        }
        FlowSpec f = new FlowSpec();
        String url = "tcp://127.0.0.1:61616", workload = null, out = null;
        double duration = 10, warmup = 2, drain = 15;
        double rateOverride = -1;
        boolean quiet = false, destSet = false, durationSet = false, warmupSet = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help": case "-h": System.out.println(USAGE); return 0;
                    case "--url": url = args[++i]; break;
                    case "--workload": workload = args[++i]; break;
                    case "--queue": f.kind = FlowSpec.Kind.QUEUE; break;
                    case "--topic": f.kind = FlowSpec.Kind.TOPIC; break;
                    case "--request-reply": f.kind = FlowSpec.Kind.REQUEST_REPLY; break;
                    case "--dest": f.dest = args[++i]; destSet = true; break;
                    case "--producers": f.producers = posInt(args[++i], a); break;
                    case "--consumers": f.consumers = posInt(args[++i], a); break;
                    case "--persistent": f.persistentShare = 1; break;
                    case "--non-persistent": f.persistentShare = 0; break;
                    case "--persistent-share": f.persistentShare = share(args[++i], a); break;
                    case "--size": f.sizes = new int[] {posInt(args[++i], a)}; f.sizeWeights = new double[] {1}; break;
                    case "--sizes": Mix.parseSizes(args[++i], f); break;
                    case "--tx-batch": f.txBatch = posInt(args[++i], a); f.txShare = 1; f.consumerTx = true; break;
                    case "--ack": f.ack = ackMode(args[++i]); break;
                    case "--prefetch": f.prefetch = nonNegInt(args[++i], a); break;
                    case "--sync-send": f.syncSend = Boolean.TRUE; break;
                    case "--async-send": f.syncSend = Boolean.FALSE; break;
                    case "--duration": duration = posDouble(args[++i], a); durationSet = true; break;
                    case "--warmup": warmup = nonNegDouble(args[++i], a); warmupSet = true; break;
                    case "--count": f.count = posInt(args[++i], a); break;
                    case "--rate": rateOverride = nonNegDouble(args[++i], a); f.rate = rateOverride; break;
                    case "--selector": f.selector = args[++i]; break;
                    case "--match-every": f.matchEvery = posInt(args[++i], a); break;
                    case "--prefill": f.prefill = nonNegInt(args[++i], a); break;
                    case "--durable": f.durable = true; break;
                    case "--drain-timeout": drain = nonNegDouble(args[++i], a); break;
                    case "--out": out = args[++i]; break;
                    case "--quiet": quiet = true; break;
                    default: throw new IllegalArgumentException("unknown option " + a);
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            System.err.println("missing value after the last option\n" + USAGE);
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + USAGE);
            return 2;
        }
        List<FlowSpec> flows = new ArrayList<>();
        String title;
        if (workload != null) {
            Mix mix;
            try {
                mix = Mix.load(Paths.get(workload));
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("workload " + workload + ": " + e.getMessage());
                return 2;
            }
            flows.addAll(mix.flows);
            if (rateOverride >= 0) {
                mix.scaleRate(rateOverride);
            }
            duration = durationSet ? duration : mix.duration;
            warmup = warmupSet ? warmup : mix.warmup;
            title = "workload " + mix.name;
        } else {
            if (!destSet) {
                f.dest = f.kind == FlowSpec.Kind.TOPIC ? "bench.t" : f.kind == FlowSpec.Kind.REQUEST_REPLY ? "bench.rr" : "bench.q";
            }
            if (f.selector != null && f.matchEvery == 0) {
                System.err.println("--selector needs --match-every K so the tool knows how many messages match\n" + USAGE);
                return 2;
            }
            if (f.durable && f.kind != FlowSpec.Kind.TOPIC) {
                System.err.println("--durable applies to --topic only");
                return 2;
            }
            flows.add(f);
            title = "flow";
        }
        boolean countMode = flows.stream().allMatch(x -> x.count > 0);
        if (countMode) {
            warmup = 0;
        }
        Bench b = new Bench(url);
        return b.execute(title, flows, countMode, duration, warmup, drain, out, quiet);
    }

    int execute(String title, List<FlowSpec> specs, boolean countMode, double duration, double warmup,
                double drain, String out, boolean quiet) throws Exception {
        PrintStream o = System.out;
        o.println("bench " + title + " against " + url + " (run " + runId + ")");
        for (FlowSpec s : specs) {
            o.println("  " + s.describe());
        }
        Map<String, String> res = new LinkedHashMap<>();
        try {
            Connection c = new ActiveMQConnectionFactory(url).createConnection();
            c.start();
            c.close();
        } catch (Exception e) {
            o.println("ERROR: cannot connect to " + url + ": " + e);
            res.put("status", "error");
            res.put("error", "cannot connect: " + e);
            write(out, res);
            return 1;
        }
        List<String> missing = Probe.check(url, runId, specs);
        if (!missing.isEmpty()) {
            for (String m : missing) {
                o.println("UNSUPPORTED: " + m);
            }
            res.put("status", "unsupported");
            res.put("unsupported", String.join("; ", missing).replace('\n', ' '));
            write(out, res);
            return 3;
        }
        List<Flow> flows = new ArrayList<>();
        for (FlowSpec s : specs) {
            flows.add(new Flow(s, this));
        }
        long t0 = System.nanoTime();
        try {
            for (Flow f : flows) {
                f.prefill();
            }
            if (flows.stream().anyMatch(f -> f.spec.prefill > 0)) {
                o.printf(Locale.ROOT, "prefill done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            }
            for (Flow f : flows) {
                f.startConsumers();
            }
            phase = warmup > 0 ? Flow.WARMUP : Flow.MEASURED;
            for (Flow f : flows) {
                f.startProducers();
            }
        } catch (Exception e) {
            o.println("ERROR: setting up: " + e);
            aborted = true;
            for (Flow f : flows) {
                f.stopProducers = true;
                f.stopConsumers = true;
                f.closeAll();
            }
            res.put("status", "error");
            res.put("error", "set-up: " + e);
            write(out, res);
            return 1;
        }
        long start = System.nanoTime();
        long measureStart = warmup > 0 ? start + (long) (warmup * 1e9) : start;
        long sendEnd = measureStart + (long) (duration * 1e9);
        Progress prog = new Progress(flows, quiet);
        // Load phase: switch warm-up to measured, stop producers at the end (duration mode) or
        // when every producer finished its share (count mode).
        while (true) {
            long now = System.nanoTime();
            if (phase == Flow.WARMUP && now >= measureStart) {
                phase = Flow.MEASURED;
            }
            boolean producing = flows.stream().anyMatch(f -> f.producersRunning.get() > 0);
            if (!producing || (!countMode && now >= sendEnd)) {
                break;
            }
            prog.tick(now, phase == Flow.WARMUP ? "warm" : "load");
            Flow.sleep(Math.min(100, Math.max(1, (sendEnd - now) / 1_000_000)));
        }
        if (phase == Flow.WARMUP) {
            phase = Flow.MEASURED;
        }
        for (Flow f : flows) {
            f.stopProducers = true;
        }
        for (Flow f : flows) {
            for (Thread t : f.threads) {
                if (t.getName().contains("-producer-")) {
                    t.join(30_000);
                }
            }
        }
        long producersDone = System.nanoTime();
        long drainEnd = producersDone + (long) (drain * 1e9);
        while (System.nanoTime() < drainEnd && !flows.stream().allMatch(Flow::complete)) {
            prog.tick(System.nanoTime(), "drain");
            Flow.sleep(20);
        }
        boolean complete = flows.stream().allMatch(Flow::complete);
        for (Flow f : flows) {
            f.stopConsumers = true;
        }
        for (Flow f : flows) {
            for (Thread t : f.threads) {
                t.join(10_000);
            }
            f.closeAll();
        }
        report(o, flows, measureStart, complete, res);
        write(out, res);
        return complete && errors.get() == 0 ? 0 : 1;
    }

    void report(PrintStream o, List<Flow> flows, long measureStart, boolean complete, Map<String, String> res) {
        Histogram all = new Histogram();
        long sent = 0, recv = 0, expected = 0, sentAll = 0, recvAll = 0, bytes = 0, pers = 0, txd = 0;
        long lastRecv = measureStart, sendEnd = measureStart, foreign = 0, expectedAll = 0;
        long topicMsgs = 0, queueMsgs = 0;
        for (Flow f : flows) {
            for (Histogram h : f.hists) {
                all.add(h);
            }
            sent += f.sent[Flow.MEASURED].get();
            recv += f.received[Flow.MEASURED].get();
            expected += f.expected(Flow.MEASURED);
            long fs = 0;
            for (int p = 0; p < 3; p++) {
                fs += f.sent[p].get();
                recvAll += f.received[p].get();
                expectedAll += f.expected(p);
            }
            sentAll += fs;
            if (f.spec.kind == FlowSpec.Kind.TOPIC) {
                topicMsgs += fs;
            } else {
                queueMsgs += fs;
            }
            bytes += f.sentBytes.get();
            pers += f.sentPersistent.get();
            txd += f.sentTransacted.get();
            foreign += f.foreign.get();
            lastRecv = Math.max(lastRecv, f.lastReceiveNanos.get());
            sendEnd = Math.max(sendEnd, f.sendEndNanos);
        }
        double sendSecs = Math.max(1e-9, (sendEnd - measureStart) / 1e9);
        double recvSecs = Math.max(1e-9, (Math.max(lastRecv, measureStart) - measureStart) / 1e9);
        double sendRate = sent / sendSecs;
        double recvRate = recv == 0 ? 0 : recv / recvSecs;
        boolean reqrep = flows.stream().anyMatch(f -> f.spec.kind == FlowSpec.Kind.REQUEST_REPLY);
        long brokerMsgs = sentAll;
        for (Flow f : flows) {
            if (f.spec.kind == FlowSpec.Kind.REQUEST_REPLY) {
                brokerMsgs += f.sent[0].get() + f.sent[1].get() + f.sent[2].get();
            }
        }
        String status = errors.get() > 0 ? "error" : complete ? "ok" : "incomplete";
        o.println("---- result (measured phase)");
        for (Flow f : flows) {
            o.printf(Locale.ROOT, "  %-22s sent %d, received %d of %d expected%s%n", f.spec.name,
                f.sent[Flow.MEASURED].get(), f.received[Flow.MEASURED].get(), f.expected(Flow.MEASURED),
                f.spec.prefill > 0 ? String.format(Locale.ROOT, " (prefill: received %d of %d)",
                    f.received[Flow.PREFILL].get(), f.expected(Flow.PREFILL)) : "");
        }
        o.printf(Locale.ROOT, "  sent       %d msgs in %.2f s = %.0f msg/s%n", sent, sendSecs, sendRate);
        o.printf(Locale.ROOT, "  received   %d msgs (%d expected) = %.0f msg/s%s%n", recv, expected, recvRate,
            reqrep ? " (request/reply round trips)" : "");
        o.printf(Locale.ROOT, "  latency    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%d samples%s)%n",
            ms(all.percentile(0.5)), ms(all.percentile(0.9)), ms(all.percentile(0.99)), ms(all.percentile(0.999)),
            ms(all.max()), all.count(), flows.stream().anyMatch(f -> f.spec.rate > 0)
                ? ", from intended send time" : "");
        if (sentAll > 0) {
            o.printf(Locale.ROOT, "  mix        mean size %.0f B, persistent %.1f%%, transacted %.1f%%, pub/sub %.1f%%%n",
                (double) bytes / sentAll, 100.0 * pers / sentAll, 100.0 * txd / sentAll,
                100.0 * topicMsgs / Math.max(1, topicMsgs + queueMsgs));
        }
        if (foreign > 0) {
            o.println("  ignored    " + foreign + " messages left over from earlier runs");
        }
        o.println("  errors     " + errors.get());
        synchronized (firstErrors) {
            for (String e : firstErrors) {
                o.println("    " + e);
            }
        }
        o.println("STATUS: " + status + (complete ? "" : " (missing " + (expectedAll - recvAll) + " messages)"));
        res.put("status", status);
        res.put("sent", Long.toString(sent));
        res.put("received", Long.toString(recv));
        res.put("expected", Long.toString(expected));
        res.put("sent_all_phases", Long.toString(sentAll));
        res.put("received_all_phases", Long.toString(recvAll));
        res.put("expected_all_phases", Long.toString(expectedAll));
        res.put("broker_messages", Long.toString(brokerMsgs));
        res.put("send_rate", String.format(Locale.ROOT, "%.1f", sendRate));
        res.put("recv_rate", String.format(Locale.ROOT, "%.1f", recvRate));
        res.put("p50_us", Long.toString(all.percentile(0.5)));
        res.put("p90_us", Long.toString(all.percentile(0.9)));
        res.put("p99_us", Long.toString(all.percentile(0.99)));
        res.put("p999_us", Long.toString(all.percentile(0.999)));
        res.put("max_us", Long.toString(all.max()));
        res.put("samples", Long.toString(all.count()));
        res.put("errors", Long.toString(errors.get()));
        for (Flow f : flows) {
            res.put("flow." + f.spec.name + ".received", Long.toString(f.received[Flow.MEASURED].get()));
            res.put("flow." + f.spec.name + ".expected", Long.toString(f.expected(Flow.MEASURED)));
        }
        synchronized (firstErrors) {
            if (!firstErrors.isEmpty()) {
                res.put("first_error", firstErrors.get(0).replace('\n', ' '));
            }
        }
    }

    static String ms(long micros) {
        if (micros < 1000) {
            return String.format(Locale.ROOT, "%.3fms", micros / 1000.0);
        }
        return String.format(Locale.ROOT, "%.1fms", micros / 1000.0);
    }

    static void write(String out, Map<String, String> res) throws IOException {
        if (out == null) {
            return;
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : res.entrySet()) {
            b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        Files.write(Paths.get(out), b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The once-a-second progress line on stderr (cumulative latency over the measured phase). */
    final class Progress {
        final List<Flow> flows;
        final boolean quiet;
        final long begin = System.nanoTime();
        long next = begin + 1_000_000_000L;
        long lastSent, lastRecv;

        Progress(List<Flow> flows, boolean quiet) {
            this.flows = flows;
            this.quiet = quiet;
        }

        void tick(long now, String label) {
            if (now < next || quiet) {
                return;
            }
            long s = 0, r = 0;
            Histogram h = new Histogram();
            for (Flow f : flows) {
                for (int p = 0; p < 3; p++) {
                    s += f.sent[p].get();
                    r += f.received[p].get();
                }
                for (Histogram x : f.hists) {
                    h.add(x);
                }
            }
            System.err.printf(Locale.ROOT, "[%4.0fs %s] sent %d (+%d/s) recv %d (+%d/s) p50 %s p99 %s errors %d%n",
                (now - begin) / 1e9, label, s, s - lastSent, r, r - lastRecv,
                h.count() == 0 ? "-" : ms(h.percentile(0.5)), h.count() == 0 ? "-" : ms(h.percentile(0.99)), errors.get());
            lastSent = s;
            lastRecv = r;
            next += 1_000_000_000L;
            if (next < now) {
                next = now + 1_000_000_000L;
            }
        }
    }

    static int posInt(String v, String opt) {
        int n = nonNegInt(v, opt);
        if (n < 1) {
            throw new IllegalArgumentException(opt + " must be at least 1");
        }
        return n;
    }

    static int nonNegInt(String v, String opt) {
        try {
            int n = Integer.parseInt(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " needs a non-negative integer, got '" + v + "'");
        }
    }

    static double nonNegDouble(String v, String opt) {
        try {
            double d = Double.parseDouble(v);
            if (!(d >= 0) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " needs a non-negative number, got '" + v + "'");
        }
    }

    static double posDouble(String v, String opt) {
        double d = nonNegDouble(v, opt);
        if (d == 0) {
            throw new IllegalArgumentException(opt + " must be greater than 0");
        }
        return d;
    }

    static double share(String v, String opt) {
        double d = nonNegDouble(v, opt);
        if (d > 1) {
            throw new IllegalArgumentException(opt + " is a share between 0 and 1, got " + v);
        }
        return d;
    }

    static String ackMode(String v) {
        switch (v) {
            case "auto": case "client": case "dups_ok": case "individual": return v;
            default: throw new IllegalArgumentException("--ack must be auto, client, dups_ok or individual");
        }
    }
}
