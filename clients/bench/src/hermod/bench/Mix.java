package hermod.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workload file: several flows run at once, describing an application mix (see
 * clients/bench/README.md for the format). Every key is checked: an unknown key or a value
 * out of range is an error naming the flow and key, so a typo cannot silently change a run.
 */
public final class Mix {
    public String name = "mix";
    public double duration = 20;
    public double warmup = 3;
    public double rate;
    public final List<FlowSpec> flows = new ArrayList<>();
    private final List<Double> shares = new ArrayList<>();

    private static final Set<String> TOP = Set.of("name", "description", "duration", "warmup", "rate", "flows");
    private static final Set<String> FLOW = Set.of("name", "description", "destination", "type", "share",
        "producers", "consumers", "persistent", "transacted", "txBatch", "consumerAck", "prefetch", "durable",
        "selector", "matchEvery", "size", "sizes");

    public static Mix load(Path p) throws IOException {
        return parse(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    public static Mix parse(String text) {
        Object root = Json.parse(text);
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException("the top level must be an object");
        }
        Map<String, Object> m = (Map<String, Object>) root;
        checkKeys(m, TOP, "top level");
        Mix mix = new Mix();
        mix.name = str(m, "name", "mix", "top level");
        mix.duration = num(m, "duration", 20, 0.1, 86400, "top level");
        mix.warmup = num(m, "warmup", 3, 0, 3600, "top level");
        mix.rate = num(m, "rate", 0, 0, 1e7, "top level");
        Object fl = m.get("flows");
        if (!(fl instanceof List) || ((List<Object>) fl).isEmpty()) {
            throw new IllegalArgumentException("\"flows\" must be a non-empty array");
        }
        double shareSum = 0;
        for (Object o : (List<Object>) fl) {
            if (!(o instanceof Map)) {
                throw new IllegalArgumentException("each flow must be an object");
            }
            Map<String, Object> f = (Map<String, Object>) o;
            String where = "flow " + (mix.flows.size() + 1);
            checkKeys(f, FLOW, where);
            FlowSpec s = new FlowSpec();
            s.name = str(f, "name", "flow" + (mix.flows.size() + 1), where);
            where = "flow \"" + s.name + "\"";
            s.dest = str(f, "destination", null, where);
            if (s.dest == null) {
                throw new IllegalArgumentException(where + ": \"destination\" is required");
            }
            String type = str(f, "type", "queue", where);
            switch (type) {
                case "queue": s.kind = FlowSpec.Kind.QUEUE; break;
                case "topic": s.kind = FlowSpec.Kind.TOPIC; break;
                case "request-reply": s.kind = FlowSpec.Kind.REQUEST_REPLY; break;
                default: throw new IllegalArgumentException(where + ": \"type\" must be queue, topic or request-reply");
            }
            double share = num(f, "share", 1, 0, 1e9, where);
            s.producers = (int) num(f, "producers", 1, 1, 1000, where);
            s.consumers = (int) num(f, "consumers", 1, 1, 1000, where);
            s.persistentShare = num(f, "persistent", 0, 0, 1, where);
            s.txShare = num(f, "transacted", 0, 0, 1, where);
            s.txBatch = (int) num(f, "txBatch", 1, 1, 100000, where);
            String ack = str(f, "consumerAck", "auto", where);
            if (ack.equals("transacted")) {
                s.consumerTx = true;
            } else {
                try {
                    s.ack = Bench.ackMode(ack);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + ": \"consumerAck\" must be auto, client, dups_ok, individual or transacted");
                }
            }
            s.prefetch = (int) num(f, "prefetch", -1, -1, 1_000_000, where);
            Object d = f.get("durable");
            s.durable = Boolean.TRUE.equals(d);
            if (s.durable && s.kind != FlowSpec.Kind.TOPIC) {
                throw new IllegalArgumentException(where + ": \"durable\" applies to topics only");
            }
            s.selector = str(f, "selector", null, where);
            s.matchEvery = (int) num(f, "matchEvery", 0, 0, 1_000_000, where);
            if (s.selector != null && s.matchEvery == 0) {
                throw new IllegalArgumentException(where + ": a \"selector\" needs \"matchEvery\"");
            }
            if (f.containsKey("sizes")) {
                Object sz = f.get("sizes");
                if (!(sz instanceof List) || ((List<Object>) sz).isEmpty()) {
                    throw new IllegalArgumentException(where + ": \"sizes\" must be a non-empty array of [bytes, weight]");
                }
                List<Object> l = (List<Object>) sz;
                s.sizes = new int[l.size()];
                s.sizeWeights = new double[l.size()];
                for (int i = 0; i < l.size(); i++) {
                    if (!(l.get(i) instanceof List) || ((List<Object>) l.get(i)).size() != 2) {
                        throw new IllegalArgumentException(where + ": each \"sizes\" entry must be [bytes, weight]");
                    }
                    List<Object> pair = (List<Object>) l.get(i);
                    s.sizes[i] = (int) range(pair.get(0), 0, 100 << 20, where + " sizes bytes");
                    s.sizeWeights[i] = range(pair.get(1), 0, 1e9, where + " sizes weight");
                }
            } else {
                s.sizes = new int[] {(int) num(f, "size", 1024, 0, 100 << 20, where)};
                s.sizeWeights = new double[] {1};
            }
            mix.flows.add(s);
            mix.shares.add(share);
            shareSum += share;
        }
        if (shareSum <= 0) {
            throw new IllegalArgumentException("the flows' shares add up to 0");
        }
        mix.scaleRate(mix.rate);
        return mix;
    }

    /** Splits a total rate (messages/s over all flows) by the flows' shares; 0 = unthrottled. */
    public void scaleRate(double total) {
        rate = total;
        double sum = 0;
        for (double s : shares) {
            sum += s;
        }
        for (int i = 0; i < flows.size(); i++) {
            flows.get(i).rate = total * shares.get(i) / sum;
        }
    }

    /** "256:0.5,4096:0.5" (bytes:weight) for --sizes. */
    static void parseSizes(String v, FlowSpec f) {
        String[] parts = v.split(",");
        f.sizes = new int[parts.length];
        f.sizeWeights = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] bw = parts[i].split(":");
            if (bw.length > 2) {
                throw new IllegalArgumentException("--sizes entries are BYTES[:WEIGHT]");
            }
            f.sizes[i] = Bench.nonNegInt(bw[0].trim(), "--sizes");
            f.sizeWeights[i] = bw.length == 2 ? Bench.nonNegDouble(bw[1].trim(), "--sizes") : 1;
        }
    }

    private static void checkKeys(Map<String, Object> m, Set<String> allowed, String where) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown key \"" + k + "\" (allowed: " + allowed + ")");
            }
        }
    }

    private static String str(Map<String, Object> m, String k, String dflt, String where) {
        Object v = m.get(k);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof String)) {
            throw new IllegalArgumentException(where + ": \"" + k + "\" must be a string");
        }
        return (String) v;
    }

    private static double num(Map<String, Object> m, String k, double dflt, double lo, double hi, String where) {
        Object v = m.get(k);
        if (v == null) {
            return dflt;
        }
        return range(v, lo, hi, where + " \"" + k + "\"");
    }

    private static double range(Object v, double lo, double hi, String what) {
        if (!(v instanceof Double)) {
            throw new IllegalArgumentException(what + " must be a number");
        }
        double d = (Double) v;
        if (!(d >= lo && d <= hi)) {
            throw new IllegalArgumentException(what + " must be between " + FlowSpec.fmt(lo) + " and " + FlowSpec.fmt(hi));
        }
        return d;
    }
}
