package hermodit;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs many named tests in one JVM (a JVM start costs about a second on the test machine) and
 * prints exactly one "PASS: name" or "FAIL: name" line per test on stdout; details go to stderr.
 * Each test runs on its own daemon thread with a time limit, so one stuck test cannot hold up
 * the others (its thread is abandoned and the test reported as FAIL).
 *
 * Usage from a suite: register tests in order, then call main-like {@link #run(String[])}:
 * "--list" prints the names, "--only a,b" runs a subset, otherwise all run.
 */
public class Suite {
    public interface Body { void run() throws Exception; }

    private final Map<String, Body> tests = new LinkedHashMap<>();
    private final Map<String, Integer> limits = new LinkedHashMap<>();
    private final int defaultLimitSeconds;

    public Suite(int defaultLimitSeconds) { this.defaultLimitSeconds = defaultLimitSeconds; }

    public void add(String name, Body body) { add(name, defaultLimitSeconds, body); }

    public void add(String name, int limitSeconds, Body body) {
        if (tests.put(name, body) != null) throw new IllegalStateException("duplicate test " + name);
        limits.put(name, limitSeconds);
    }

    /** Returns the number of failed tests. */
    public int run(String[] args) {
        List<String> names = new ArrayList<>(tests.keySet());
        if (args.length > 0 && args[0].equals("--list")) {
            names.forEach(System.out::println);
            return 0;
        }
        if (args.length > 1 && args[0].equals("--only")) names = Arrays.asList(args[1].split(","));
        int failed = 0;
        for (String name : names) {
            Body body = tests.get(name);
            String verdict;
            long t0 = System.nanoTime();
            if (body == null) {
                verdict = "no such test";
            } else {
                verdict = runOne(name, body, limits.get(name));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (verdict == null) {
                System.err.println("  " + name + ": ok in " + ms + " ms");
                System.out.println("PASS: " + name);
            } else {
                failed++;
                System.err.println("  " + name + ": FAILED after " + ms + " ms: " + verdict);
                System.out.println("FAIL: " + name);
            }
            System.out.flush();
        }
        return failed;
    }

    /**
     * Reports every test (or the --only subset) as failed for one shared reason, e.g. when the
     * broker does not answer at all, instead of letting each test wait out its own limit.
     */
    public int failAll(String[] args, String reason) {
        List<String> names = new ArrayList<>(tests.keySet());
        if (args.length > 1 && args[0].equals("--only")) names = Arrays.asList(args[1].split(","));
        for (String name : names) {
            System.err.println("  " + name + ": FAILED: " + reason);
            System.out.println("FAIL: " + name);
        }
        System.out.flush();
        return names.size();
    }

    private static String runOne(String name, Body body, int limitSeconds) {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-" + name);
            t.setDaemon(true);
            return t;
        });
        Future<?> f = ex.submit(() -> { body.run(); return null; });
        try {
            f.get(limitSeconds, TimeUnit.SECONDS);
            return null;
        } catch (TimeoutException e) {
            f.cancel(true);
            return "timed out after " + limitSeconds + " s";
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            StringWriter sw = new StringWriter();
            c.printStackTrace(new PrintWriter(sw));
            return sw.toString();
        } catch (InterruptedException e) {
            return "interrupted";
        } finally {
            ex.shutdownNow();
        }
    }

    // ---- assertions: each throws AssertionError naming what differed ----

    public static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    public static void eq(Object expected, Object actual, String what) {
        if (expected instanceof byte[] && actual instanceof byte[]) {
            if (!Arrays.equals((byte[]) expected, (byte[]) actual))
                throw new AssertionError(what + ": byte arrays differ");
            return;
        }
        if (!Objects.equals(expected, actual))
            throw new AssertionError(what + ": expected <" + expected + "> ("
                    + (expected == null ? "null" : expected.getClass().getSimpleName()) + ") but was <"
                    + actual + "> (" + (actual == null ? "null" : actual.getClass().getSimpleName()) + ")");
    }

    /** Runs body and requires it to throw an instance of type; returns the exception. */
    public static <T extends Throwable> T expectThrows(Class<T> type, String what, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) return type.cast(t);
            throw new AssertionError(what + ": expected " + type.getName() + " but got " + t, t);
        }
        throw new AssertionError(what + ": expected " + type.getName() + " but nothing was thrown");
    }

    public static void log(String s) { System.err.println("    " + s); }

    /**
     * A check hermod must pass that the reference broker fails (a documented reference
     * deviation): with ref its failure is logged and tolerated; against hermod it counts.
     */
    public static Body beyondReference(boolean ref, String why, Body body) {
        return () -> {
            try {
                body.run();
                if (ref) log("the reference passed this too (expected it not to: " + why + ")");
            } catch (AssertionError e) {
                if (!ref) throw e;
                log("reference deviation (" + why + "): " + e.getMessage());
            }
        };
    }
}
