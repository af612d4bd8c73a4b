package hermod.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns compare.sh's CSV (one row per workload and broker) into the Markdown table and an
 * SVG chart. Written by hand (string building) so the tool needs no charting library.
 *   Report RESULTS.csv META.properties OUT.md OUT.svg
 * Ratios are hermod / ActiveMQ from the same run; for throughput higher is better, for
 * latency, CPU and memory lower is better.
 */
public final class Report {
    static final String H = "hermod", A = "activemq";

    private Report() {
    }

    static final class Row {
        Map<String, String> v = new HashMap<>();

        String s(String k) {
            String x = v.get(k);
            return x == null ? "" : x;
        }

        double d(String k) {
            try {
                return Double.parseDouble(s(k));
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }

        boolean ok() {
            return s("status").equals("ok");
        }

        boolean measured() {
            return s("status").equals("ok") || s("status").equals("incomplete") || s("status").equals("error");
        }
    }

    public static void main(String[] a) throws IOException {
        if (a.length != 4 && a.length != 5) {
            System.err.println("usage: Report RESULTS.csv META.properties OUT.md OUT.svg [STARTUP.csv]");
            System.exit(2);
        }
        List<String> lines = Files.readAllLines(Paths.get(a[0]), StandardCharsets.UTF_8);
        String[] head = lines.get(0).split(",", -1);
        Map<String, Map<String, Row>> byWl = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            if (l.isEmpty()) {
                continue;
            }
            String[] f = l.split(",", -1);
            Row r = new Row();
            for (int i = 0; i < head.length && i < f.length; i++) {
                r.v.put(head[i], f[i]);
            }
            byWl.computeIfAbsent(r.s("workload"), k -> new HashMap<>()).put(r.s("broker"), r);
            labels.put(r.s("workload"), r.s("label"));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (String l : Files.readAllLines(Paths.get(a[1]), StandardCharsets.UTF_8)) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                meta.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        String md = markdown(byWl, labels, meta);
        if (a.length == 5) {
            md += StartupReport.report(Files.readAllLines(Paths.get(a[4]), StandardCharsets.UTF_8), meta);
        }
        write(Paths.get(a[2]), md);
        write(Paths.get(a[3]), svg(byWl, labels, meta));
    }

    static void write(Path p, String s) throws IOException {
        Files.write(p, s.getBytes(StandardCharsets.UTF_8));
    }

    static String num(double d) {
        if (Double.isNaN(d)) {
            return "–";
        }
        if (d >= 100) {
            return String.format(Locale.ROOT, "%,.0f", d);
        }
        if (d >= 10) {
            return String.format(Locale.ROOT, "%.1f", d);
        }
        return String.format(Locale.ROOT, "%.2f", d);
    }

    static String ms(double micros) {
        if (Double.isNaN(micros)) {
            return "–";
        }
        double m = micros / 1000;
        return m >= 100 ? String.format(Locale.ROOT, "%.0f", m)
             : m >= 10 ? String.format(Locale.ROOT, "%.1f", m)
             : String.format(Locale.ROOT, "%.2f", m);
    }

    static String ratio(double h, double a) {
        if (Double.isNaN(h) || Double.isNaN(a) || a == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f×", h / a);
    }

    /** What to print in place of numbers for a run that measured nothing. */
    static String cell(Row r) {
        if (r == null) {
            return "not run";
        }
        switch (r.s("status")) {
            case "unsupported": return "unsupported by broker";
            case "ok": case "incomplete": case "error": return null;
            default: return r.s("status").isEmpty() ? "failed" : r.s("status");
        }
    }

    static String markdown(Map<String, Map<String, Row>> byWl, Map<String, String> labels, Map<String, String> meta) {
        StringBuilder b = new StringBuilder();
        b.append("# hermod vs ActiveMQ: benchmark results\n\n");
        b.append("- Date: ").append(meta.getOrDefault("date", "?")).append('\n');
        b.append("- Machine: ").append(meta.getOrDefault("nproc", "?")).append(" CPU(s), ")
            .append(meta.getOrDefault("cpu", "?")).append(", ").append(meta.getOrDefault("mem", "?")).append(" RAM\n");
        b.append("- hermod: ").append(meta.getOrDefault("hermod", "?")).append('\n');
        b.append("- ActiveMQ: ").append(meta.getOrDefault("activemq", "?")).append('\n');
        b.append("- Method: ").append(meta.getOrDefault("method", "")).append('\n');
        b.append("- Persistence check: ").append(meta.getOrDefault("durability", "not run")).append("\n\n");

        b.append("## Throughput and end-to-end latency\n\n");
        b.append("Throughput is messages received per second in the measured phase (round trips for request/reply; ")
            .append("each subscriber's copy counts for fan-out). Latency is send-to-receive in milliseconds. ")
            .append("Ratio = hermod / ActiveMQ (throughput: higher is better for hermod; latency: lower is better).\n\n");
        b.append("| Workload | hermod msg/s | ActiveMQ msg/s | msg/s ratio | hermod p50 / p90 / p99 / p99.9 ms | ActiveMQ p50 / p90 / p99 / p99.9 ms | p99 ratio |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Row>> e : byWl.entrySet()) {
            Row h = e.getValue().get(H), a = e.getValue().get(A);
            b.append("| ").append(labels.get(e.getKey())).append(" | ");
            b.append(cell(h) != null ? cell(h) : num(h.d("recv_rate")) + flag(h)).append(" | ");
            b.append(cell(a) != null ? cell(a) : num(a.d("recv_rate")) + flag(a)).append(" | ");
            b.append(cell(h) == null && cell(a) == null ? ratio(h.d("recv_rate"), a.d("recv_rate")) : "–").append(" | ");
            b.append(cell(h) != null ? "–" : lat(h)).append(" | ");
            b.append(cell(a) != null ? "–" : lat(a)).append(" | ");
            b.append(cell(h) == null && cell(a) == null ? ratio(h.d("p99_us"), a.d("p99_us")) : "–").append(" |\n");
        }
        if (byWl.keySet().stream().anyMatch(k -> k.startsWith("xa"))) {
            b.append("\nXA rows (tx/s): throughput is committed global transactions per second; each one receives a ")
                .append("persistent message from one queue in an XA branch and sends one to another queue in a second ")
                .append("branch on its own connection, then prepares both and commits both (two-phase). Latency is one ")
                .append("transaction as the transaction manager sees it: start of the first branch to the return of the last commit.\n");
        }
        b.append("\n## Broker resources\n\n");
        b.append("CPU = broker process utime+stime over the whole run (prefill, warm-up, measured, drain) per 100,000 ")
            .append("messages sent through it (requests and replies both count). RSS = peak VmRSS sampled every 0.5 s.\n\n");
        b.append("| Workload | hermod CPU s/100k | ActiveMQ CPU s/100k | CPU ratio | hermod peak RSS MB | ActiveMQ peak RSS MB | RSS ratio |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Row>> e : byWl.entrySet()) {
            Row h = e.getValue().get(H), a = e.getValue().get(A);
            boolean hm = h != null && h.measured(), am = a != null && a.measured();
            b.append("| ").append(labels.get(e.getKey())).append(" | ");
            b.append(hm ? num(h.d("cpu_s_per_100k")) : "–").append(" | ");
            b.append(am ? num(a.d("cpu_s_per_100k")) : "–").append(" | ");
            b.append(hm && am ? ratio(h.d("cpu_s_per_100k"), a.d("cpu_s_per_100k")) : "–").append(" | ");
            b.append(h != null ? num(h.d("rss_peak_mb")) : "–").append(" | ");
            b.append(a != null ? num(a.d("rss_peak_mb")) : "–").append(" | ");
            b.append(h != null && a != null ? ratio(h.d("rss_peak_mb"), a.d("rss_peak_mb")) : "–").append(" |\n");
        }
        b.append("\n## Start-up time to a listening port\n\n");
        double[] hs = startups(byWl, H), as = startups(byWl, A);
        b.append("| | hermod | ActiveMQ | ratio |\n|---|---:|---:|---:|\n");
        b.append("| median ms (").append(hs.length).append(" / ").append(as.length).append(" starts) | ")
            .append(num(median(hs))).append(" | ").append(num(median(as))).append(" | ")
            .append(ratio(median(hs), median(as))).append(" |\n");
        b.append("| min–max ms | ").append(range(hs)).append(" | ").append(range(as)).append(" | |\n");

        StringBuilder notes = new StringBuilder();
        for (Map.Entry<String, Map<String, Row>> e : byWl.entrySet()) {
            for (String br : new String[] {H, A}) {
                Row r = e.getValue().get(br);
                if (r == null || r.ok()) {
                    continue;
                }
                notes.append("- ").append(labels.get(e.getKey())).append(", ").append(br.equals(H) ? "hermod" : "ActiveMQ")
                    .append(": ").append(r.s("status"));
                if (r.measured()) {
                    notes.append(String.format(Locale.ROOT, " (received %s of %s expected, %s errors)",
                        r.s("received_all_phases"), r.s("expected_all_phases"), r.s("errors")));
                }
                if (!r.s("detail").isEmpty()) {
                    notes.append(": ").append(r.s("detail"));
                }
                notes.append('\n');
            }
        }
        b.append("\n## Runs that did not complete cleanly\n\n");
        b.append(notes.length() == 0 ? "None: every run received exactly the expected messages with zero errors.\n" : notes);
        b.append("\n`*` after a throughput = the run did not receive every expected message or had errors (see above).\n");
        if (meta.containsKey("workloads")) {
            b.append("\n## Workload definitions (bench options)\n\n");
            for (String w : meta.get("workloads").split(";;")) {
                b.append("- `").append(w.trim()).append("`\n");
            }
        }
        return b.toString();
    }

    static String flag(Row r) {
        return r.ok() ? "" : " *";
    }

    static String lat(Row r) {
        if (!(r.d("samples") > 0)) {
            return "no samples";
        }
        return ms(r.d("p50_us")) + " / " + ms(r.d("p90_us")) + " / " + ms(r.d("p99_us")) + " / " + ms(r.d("p999_us"));
    }

    static double[] startups(Map<String, Map<String, Row>> byWl, String br) {
        List<Double> l = new ArrayList<>();
        for (Map<String, Row> m : byWl.values()) {
            Row r = m.get(br);
            if (r != null && !Double.isNaN(r.d("startup_ms"))) {
                l.add(r.d("startup_ms"));
            }
        }
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = l.get(i);
        }
        Arrays.sort(d);
        return d;
    }

    static double median(double[] d) {
        if (d.length == 0) {
            return Double.NaN;
        }
        return d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
    }

    static String range(double[] d) {
        return d.length == 0 ? "–" : num(d[0]) + "–" + num(d[d.length - 1]);
    }

    static String shortLabel(String s) {
        return s.length() <= 34 ? s : s.substring(0, 33) + "…";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Two log-scale grouped bar panels: throughput and p99 latency, hermod vs ActiveMQ. */
    static String svg(Map<String, Map<String, Row>> byWl, Map<String, String> labels, Map<String, String> meta) {
        int n = byWl.size();
        int panelW = 120 + 90 * n, panelH = 300, top = 60, left = 110;
        int width = 2 * panelW + 80, height = top + panelH + 190;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">\n", width, height));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>\n",
            left, esc("hermod vs ActiveMQ, " + meta.getOrDefault("date", "") + ", " + meta.getOrDefault("nproc", "?") + " CPU(s)")));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"32\" width=\"12\" height=\"12\" fill=\"#2b8a6e\"/>"
            + "<text x=\"%d\" y=\"43\">hermod</text><rect x=\"%d\" y=\"32\" width=\"12\" height=\"12\" fill=\"#d0743c\"/>"
            + "<text x=\"%d\" y=\"43\">ActiveMQ 5.17</text>\n", left, left + 16, left + 80, left + 96));
        panel(b, byWl, labels, left, top, panelW - 90, panelH, "recv_rate", 1, "throughput, msg/s (log scale, higher is better)");
        panel(b, byWl, labels, panelW + 40 + left, top, panelW - 90, panelH, "p99_us", 1000, "p99 latency, ms (log scale, lower is better)");
        b.append("</svg>\n");
        return b.toString();
    }

    static void panel(StringBuilder b, Map<String, Map<String, Row>> byWl, Map<String, String> labels, int x0, int y0,
                      int w, int h, String key, double div, String title) {
        double lo = Double.MAX_VALUE, hi = 0;
        for (Map<String, Row> m : byWl.values()) {
            for (Row r : m.values()) {
                double v = r.d(key) / div;
                if (cell(r) == null && v > 0) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (hi == 0) {
            lo = 1;
            hi = 10;
        }
        double lgLo = Math.floor(Math.log10(lo)), lgHi = Math.ceil(Math.log10(hi));
        if (lgHi <= lgLo) {
            lgHi = lgLo + 1;
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", x0, y0 - 4, esc(title)));
        for (double g = lgLo; g <= lgHi; g++) {
            double y = y0 + h - (g - lgLo) / (lgHi - lgLo) * h;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x0, y, x0 + w, y, x0 - 4, y + 4,
                esc(num(Math.pow(10, g)))));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", x0, y0 + h, x0 + w, y0 + h));
        int n = byWl.size(), i = 0;
        double slot = (double) w / Math.max(1, n);
        for (Map.Entry<String, Map<String, Row>> e : byWl.entrySet()) {
            double sx = x0 + i * slot;
            String[] brokers = {H, A};
            String[] colors = {"#2b8a6e", "#d0743c"};
            for (int k = 0; k < 2; k++) {
                Row r = e.getValue().get(brokers[k]);
                double bx = sx + slot * 0.15 + k * slot * 0.35;
                double bw = slot * 0.33;
                double v = r == null ? Double.NaN : r.d(key) / div;
                if (r == null || cell(r) != null || !(v > 0)) {
                    String why = r == null ? "not run" : "unsupported".equals(r.s("status")) ? "unsupported"
                        : cell(r) != null ? "failed" : "none received";
                    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                        + "transform=\"rotate(-90 %.1f %d)\">%s</text>\n", bx + bw / 2 + 3, y0 + h - 4, bx + bw / 2 + 3,
                        y0 + h - 4, why));
                    continue;
                }
                double lg = Math.max(lgLo, Math.log10(v));
                double bh = (lg - lgLo) / (lgHi - lgLo) * h;
                b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    + "<title>%s %s: %s</title></rect>\n", bx, y0 + h - bh, bw, Math.max(1, bh), colors[k],
                    esc(labels.get(e.getKey())), brokers[k], esc(num(v))));
            }
            double lx = sx + slot / 2, ly = y0 + h + 12;
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
                + "transform=\"rotate(-35 %.1f %.1f)\">%s</text>\n", lx, ly, lx, ly, esc(shortLabel(labels.get(e.getKey())))));
            i++;
        }
    }
}
