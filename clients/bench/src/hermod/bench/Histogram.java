package hermod.bench;

/**
 * Latency histogram with log-linear buckets, written here so the tool needs no extra jar.
 *
 * Why log-linear: latencies span five orders of magnitude (tens of microseconds to seconds);
 * equal-width buckets would either be too coarse at the bottom or far too many at the top.
 * Each power of two [2^k, 2^(k+1)) is split into SUB equal sub-buckets, so every recorded
 * value is known to within 1/SUB (about 1.6 %) of itself, with a fixed, small array.
 *
 * Values are microseconds. Values below SUB are kept exactly. Thread-safety: methods are
 * synchronized; each consumer thread owns its own histogram, so the lock is uncontended and
 * only the once-a-second progress reader ever competes for it.
 */
public final class Histogram {
    static final int SUB_BITS = 6;
    static final int SUB = 1 << SUB_BITS;
    /** Largest value kept: about 2^40 microseconds (12 days); larger values are clamped. */
    static final long MAX_VALUE = (1L << 40) - 1;
    static final int BUCKETS = index(MAX_VALUE) + 1;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long min = Long.MAX_VALUE;
    private long max;
    private double sum;

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int msb = 63 - Long.numberOfLeadingZeros(v);
        int shift = msb - SUB_BITS;
        return (shift + 1) * SUB + (int) ((v >> shift) - SUB);
    }

    /** Smallest value that falls into bucket b. */
    static long lowerBound(int b) {
        if (b < SUB) {
            return b;
        }
        int shift = b / SUB - 1;
        long sub = b % SUB;
        return (SUB + sub) << shift;
    }

    /** Largest value that falls into bucket b. */
    static long upperBound(int b) {
        if (b < SUB) {
            return b;
        }
        return lowerBound(b + 1) - 1;
    }

    public synchronized void record(long micros) {
        long v = micros < 0 ? 0 : Math.min(micros, MAX_VALUE);
        counts[index(v)]++;
        total++;
        sum += v;
        if (v < min) {
            min = v;
        }
        if (v > max) {
            max = v;
        }
    }

    public synchronized void add(Histogram o) {
        synchronized (o) {
            for (int i = 0; i < BUCKETS; i++) {
                counts[i] += o.counts[i];
            }
            total += o.total;
            sum += o.sum;
            min = Math.min(min, o.min);
            max = Math.max(max, o.max);
        }
    }

    public synchronized void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
        sum = 0;
        min = Long.MAX_VALUE;
        max = 0;
    }

    public synchronized long count() {
        return total;
    }

    public synchronized long max() {
        return total == 0 ? 0 : max;
    }

    public synchronized double mean() {
        return total == 0 ? 0 : sum / total;
    }

    /**
     * Value at quantile q (0..1): the upper bound of the bucket holding the ceil(q*n)-th
     * smallest value, capped by the true maximum, so a reported percentile never understates.
     */
    public synchronized long percentile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        if (rank < 1) {
            rank = 1;
        }
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(upperBound(i), max);
            }
        }
        return max;
    }
}
