// SelBench — evaluations per second of ActiveMQ 5.17's own selector implementation
// (org.apache.activemq.selector.SelectorParser and org.apache.activemq.filter.*), the Java half
// of the selector benchmark (run.sh next to this file; the C half is
// test/interop/selbench/selectors_bench_tool.c, which reads the same cases file).
//
//   java SelBench [--check] [--seconds S] [--warmup S] [--expect FILE] [--only NAME] [--mem N] CASES
//
// Each selector is parsed once (SelectorParser.parse, as the broker does for a consumer), then
// BooleanExpression.matches() runs over every message of CASES again and again: first for the
// JIT warm-up (at least W s of the thread's CPU time, default 1, 0.2 with --check, then until
// the JIT has been idle for 0.5 s, at most 5 W s of wall clock), then timed for S seconds of
// wall clock (default 2, 0.5 with --check).  The warm-up's wall-clock length goes to stderr.  With --expect (the C tool's output), the per-message results must be identical
// before timing, and every timed evaluation's verdict is checked against the C verdict of the
// same message: any difference prints DISAGREE and exits 3 (with --check, after every
// selector has been tried).
//
// Output: the same tab-separated line per selector as the C tool:
//   name  evaluations  wall-ns  cpu-ns  evaluations/s  bytes  results
// cpu-ns: the evaluating thread's CPU time over the timed loop (ThreadMXBean), and evaluations/s
// is per second of it (JIT compiler and GC threads are not counted), in the best of 5 equal
// windows of the timed seconds, as the C tool does.
// bytes: a rough estimate of the heap one parsed selector retains (N parses kept alive, heap
// growth after GC divided by N; 0 without --mem).
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.command.Message;
import org.apache.activemq.filter.BooleanExpression;
import org.apache.activemq.filter.MessageEvaluationContext;
import org.apache.activemq.selector.SelectorParser;

public class SelBench {
    static final int WINDOWS = 5;   // timed windows per selector, as the C tool
    static final List<Message> msgs = new ArrayList<>();
    static final List<String[]> sels = new ArrayList<>();

    static void load(String path) throws Exception {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(path), StandardCharsets.UTF_8))) {
            Message cur = null;
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.trim().isEmpty() ? new String[0] : line.split(" ", 4);
                if (f.length == 0 || f[0].startsWith("#")) continue;
                switch (f[0]) {
                case "MSG":
                    cur = new ActiveMQMessage();
                    msgs.add(cur);
                    break;
                case "P": {
                    String v = f.length > 3 ? f[3] : "";
                    Object o;
                    switch (f[2]) {
                    case "bool": o = Boolean.valueOf(v.equals("true")); break;
                    case "byte": o = Byte.valueOf(v); break;
                    case "short": o = Short.valueOf(v); break;
                    case "int": o = Integer.valueOf(v); break;
                    case "long": o = Long.valueOf(v); break;
                    case "float": o = Float.valueOf(v); break;
                    case "double": o = Double.valueOf(v); break;
                    case "string": o = v; break;
                    default: throw new IllegalArgumentException("unknown property type " + f[2]);
                    }
                    cur.setProperty(f[1], o);
                    break;
                }
                case "H":
                    switch (f[1]) {
                    case "priority": cur.setPriority((byte) Integer.parseInt(f[2])); break;
                    case "persistent": cur.setPersistent(f[2].equals("true")); break;
                    case "type": cur.setType(f[2]); break;
                    default: throw new IllegalArgumentException("unknown header " + f[1]);
                    }
                    break;
                case "SEL": {
                    String[] g = line.split(" ", 3);
                    sels.add(new String[] { g[1], g[2] });
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown line " + line);
                }
            }
        }
    }

    // 'T' match, 'F' no match, 'E' matches() threw (the broker logs it and does not deliver).
    static char verdict(BooleanExpression e, MessageEvaluationContext ctx) {
        try {
            return e.matches(ctx) ? 'T' : 'F';
        } catch (Throwable t) {
            return 'E';
        }
    }

    static String results(BooleanExpression e, MessageEvaluationContext[] ctxs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ctxs.length; i++) {
            String r;
            try {
                Object v = e.evaluate(ctxs[i]);
                r = v == null ? "NULL" : v == Boolean.TRUE ? "TRUE" : v == Boolean.FALSE ? "FALSE" : "WEIRD:" + v;
            } catch (Throwable t) {
                r = "ERROR";
            }
            if (i > 0) sb.append(',');
            sb.append(r).append(':').append(verdict(e, ctxs[i]));
        }
        return sb.toString();
    }

    // Evaluations that differ from expect (the verdicts of the C side, or Java's own first ones).
    static long rounds(BooleanExpression e, MessageEvaluationContext[] ctxs, char[] expect, long n) {
        long bad = 0;
        for (long r = 0; r < n; r++)
            for (int i = 0; i < ctxs.length; i++)
                if (verdict(e, ctxs[i]) != expect[i]) bad++;
        return bad;
    }

    static long usedHeap() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int k = 0; k < 4; k++) {
            System.gc();
            Thread.sleep(20);
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    static double retainedBytes(String text, int n) throws Exception {
        Object[] keep = new Object[n];
        long before = usedHeap();
        for (int k = 0; k < n; k++)   // the public parser entry, bypassing parse()'s LRU cache
            keep[k] = new SelectorParser(new StringReader(text)).JmsSelector();
        long after = usedHeap();
        if (keep[n - 1] == null) throw new IllegalStateException();
        return Math.max(0, (double) (after - before) / n);
    }

    public static void main(String[] args) throws Exception {
        boolean check = false;
        double seconds = -1, warmup = -1;
        String expectPath = null, only = null, path = null;
        int mem = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--check": check = true; break;
            case "--seconds": seconds = Double.parseDouble(args[++i]); break;
            case "--warmup": warmup = Double.parseDouble(args[++i]); break;
            case "--expect": expectPath = args[++i]; break;
            case "--only": only = args[++i]; break;
            case "--mem": mem = Integer.parseInt(args[++i]); break;
            default: path = args[i]; break;
            }
        }
        if (seconds < 0) seconds = check ? 0.5 : 2.0;
        if (warmup < 0) warmup = check ? 0.2 : 1.0;
        load(path);
        Map<String, String> expected = new HashMap<>();
        if (expectPath != null) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(expectPath), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    String[] f = line.split("\t");
                    if (f.length == 7 && !f[0].startsWith("#")) expected.put(f[0], f[6]);
                }
            }
        }
        MessageEvaluationContext[] ctxs = new MessageEvaluationContext[msgs.size()];
        for (int i = 0; i < ctxs.length; i++) {
            ctxs[i] = new MessageEvaluationContext();
            ctxs[i].setMessageReference(msgs.get(i));
        }
        System.out.println("# ActiveMQ SelectorParser: " + msgs.size() + " messages, " + sels.size() + " selectors, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        long batch = 1000 / ctxs.length + 1;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean failed = false;
        for (String[] s : sels) {
            String name = s[0], text = s[1];
            if (only != null && !only.equals(name)) continue;
            BooleanExpression e = SelectorParser.parse(text);
            String res = results(e, ctxs);
            String c = expected.get(name);
            if (expectPath != null && !res.equals(c)) {
                System.out.println("DISAGREE " + name + " ActiveMQ " + res + " hermod " + c);
                System.out.flush();
                if (!check) System.exit(3);
                failed = true;
                continue;   // --check: report every selector, exit 3 at the end
            }
            String[] parts = (c != null ? c : res).split(",");
            char[] expect = new char[parts.length];
            for (int i = 0; i < parts.length; i++) expect[i] = parts[i].charAt(parts[i].length() - 1);
            long bad = 0;
            // Warm-up: at least S s of this thread's CPU time, then until the JIT has compiled
            // nothing for 0.5 s of wall clock, at most 5 S s of wall clock.  A fixed 1 s was not
            // enough on a busy machine (the compiler threads wait for a core too): the same
            // selector then came out at either ~1.4M or ~10M evaluations/s from run to run.
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            long t0 = System.nanoTime(), t1, w0 = threads.getCurrentThreadCpuTime();
            long quietSince = t0, jitMs = jit.getTotalCompilationTime();
            for (;;) {
                bad += rounds(e, ctxs, expect, batch);
                t1 = System.nanoTime();
                long ms = jit.getTotalCompilationTime();
                if (ms != jitMs) { jitMs = ms; quietSince = t1; }
                if (t1 - t0 >= (long) (5 * warmup * 1e9)) break;
                if (threads.getCurrentThreadCpuTime() - w0 >= (long) (warmup * 1e9)
                        && t1 - quietSince >= 500_000_000L) break;
            }
            long warmNs = t1 - t0;
            // timed: WINDOWS equal windows of wall clock; the best window's rate is reported
            long n = 0;
            double best = 0;
            long c0 = threads.getCurrentThreadCpuTime();
            t0 = System.nanoTime();
            for (int w = 0; w < WINDOWS; w++) {
                long end = t0 + (long) (seconds * 1e9 * (w + 1) / WINDOWS), wn = 0;
                long wc0 = threads.getCurrentThreadCpuTime();
                do {
                    bad += rounds(e, ctxs, expect, batch);
                    wn += batch;
                    t1 = System.nanoTime();
                } while (t1 < end);
                long wcpu = threads.getCurrentThreadCpuTime() - wc0;
                if (wcpu > 0) best = Math.max(best, (double) wn * ctxs.length / (wcpu / 1e9));
                n += wn;
            }
            if (bad != 0) {
                System.out.println("DISAGREE " + name + ": " + bad + " evaluations differ from hermod's verdicts");
                System.out.flush();
                if (!check) System.exit(3);
                failed = true;
                continue;
            }
            double cpu = threads.getCurrentThreadCpuTime() - c0;
            System.err.printf("%s: warm-up %.1f s%n", name, warmNs / 1e9);
            long evals = n * ctxs.length;
            System.out.printf("%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%s%n", name, evals, t1 - t0, cpu, best,
                    mem > 0 ? retainedBytes(text, mem) : 0.0, res);
            System.out.flush();
        }
        if (failed) System.exit(3);
    }
}
