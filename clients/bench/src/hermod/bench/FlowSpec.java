package hermod.bench;

/**
 * One stream of messages: a destination with its producers and consumers and how they behave.
 * A command-line run is one flow; a workload file (see Mix) is several flows run together.
 */
public final class FlowSpec {
    public enum Kind { QUEUE, TOPIC, REQUEST_REPLY }

    public String name = "main";
    public String dest = "bench.q";
    public Kind kind = Kind.QUEUE;
    public int producers = 1;
    public int consumers = 1;
    /** Share (0..1) of messages sent with DeliveryMode.PERSISTENT. */
    public double persistentShare = 0;
    /** Share (0..1) of producer batches sent inside a JMS transaction. */
    public double txShare = 0;
    /** Messages per producer transaction (and per consumer commit when consumerTx). */
    public int txBatch = 1;
    /** Consumers use a transacted session, committing every txBatch messages. */
    public boolean consumerTx;
    /** auto, client, dups_ok or individual (ignored when consumerTx). */
    public String ack = "auto";
    /** Consumer prefetch; negative keeps the client default (1000 for queues). */
    public int prefetch = -1;
    public int[] sizes = {1024};
    public double[] sizeWeights = {1};
    /** Messages per second for the whole flow; 0 = as fast as the broker takes them. */
    public double rate;
    /** Total messages for the flow (count mode); 0 = run for the duration. */
    public long count;
    public String selector;
    /** Every matchEvery-th message carries region='EU' (others 'US'); 0 = no region property. */
    public int matchEvery;
    /** Messages sent before consumers start (to make a queue deep). */
    public long prefill;
    public boolean durable;
    /** Client-side send mode: null = client default, true = always sync, false = async. */
    public Boolean syncSend;

    public boolean needsTransactions() {
        return txShare > 0 || consumerTx;
    }

    /** Share of messages that a consumer's selector accepts (1 when no selector is set). */
    public boolean selective() {
        return selector != null && !selector.isEmpty() && matchEvery > 0;
    }

    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(name).append(": ").append(kind.name().toLowerCase().replace('_', '-')).append(' ').append(dest)
            .append(' ').append(producers).append("->").append(consumers);
        b.append(" persistent=").append(fmt(persistentShare));
        if (needsTransactions()) {
            b.append(" tx=").append(fmt(txShare)).append(" batch=").append(txBatch)
                .append(consumerTx ? " consumer-tx" : "");
        }
        if (!consumerTx) {
            b.append(" ack=").append(ack);
        }
        b.append(" size=");
        for (int i = 0; i < sizes.length; i++) {
            b.append(i == 0 ? "" : "|").append(sizes[i]);
            if (sizes.length > 1) {
                b.append('x').append(fmt(sizeWeights[i]));
            }
        }
        if (rate > 0) {
            b.append(" rate=").append(fmt(rate)).append("/s");
        }
        if (count > 0) {
            b.append(" count=").append(count);
        }
        if (prefill > 0) {
            b.append(" prefill=").append(prefill);
        }
        if (selector != null) {
            b.append(" selector=\"").append(selector).append("\" match=1/").append(matchEvery);
        }
        if (durable) {
            b.append(" durable");
        }
        return b.toString();
    }

    static String fmt(double d) {
        if (d == Math.rint(d)) {
            return Long.toString((long) d);
        }
        return String.format(java.util.Locale.ROOT, "%.3g", d);
    }
}
