package hermod.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The "start-up with a full store" section of results.md, from compare.sh's startup.csv (one
 * row per broker). Times are milliseconds from the broker's launch; the table shows seconds.
 */
final class StartupReport {
    private StartupReport() {
    }

    static String report(List<String> lines, Map<String, String> meta) {
        if (lines.size() < 2) {
            return "";
        }
        String[] head = lines.get(0).split(",", -1);
        Map<String, Report.Row> rows = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            if (l.isEmpty()) {
                continue;
            }
            String[] f = l.split(",", -1);
            Report.Row r = new Report.Row();
            for (int i = 0; i < head.length && i < f.length; i++) {
                r.v.put(head[i], f[i]);
            }
            rows.put(r.s("broker"), r);
        }
        Report.Row h = rows.get(Report.H), a = rows.get(Report.A);
        StringBuilder b = new StringBuilder();
        String hn = h == null ? "?" : String.format(Locale.ROOT, "%,d", (long) h.d("messages"));
        b.append("\n## Start-up with ").append(hn).append(" persistent messages in the store\n\n");
        if (h != null && a != null && !h.s("messages").equals(a.s("messages"))) {
            b.append("**ActiveMQ was filled with ").append(String.format(Locale.ROOT, "%,d", (long) a.d("messages")))
                .append(" messages, not ").append(hn).append(" (BENCH_STARTUP_COUNT_AMQ): its row is not like-for-like.**\n\n");
        }
        b.append(meta.getOrDefault("startup", "")).append(" Times are from the broker's launch.\n\n");
        b.append("| | hermod | ActiveMQ | ratio |\n|---|---:|---:|---:|\n");
        line(b, "messages in the store", h, a, "messages", 1, false);
        line(b, "body bytes", h, a, "body_bytes", 1, false);
        line(b, "fill through JMS, s", h, a, "fill_s", 1, true);
        line(b, "fill rate, msg/s", h, a, "fill_rate", 1, true);
        line(b, "data directory after the fill, MB", h, a, "store_mb", 1, true);
        line(b, "graceful stop, s", h, a, "stop_ms", 1000, true);
        line(b, "**launch → port accepts, s**", h, a, "listen_ms", 1000, true);
        line(b, "launch → JMS connection, s", h, a, "connect_ms", 1000, true);
        line(b, "**launch → first message received, s**", h, a, "first_ms", 1000, true);
        line(b, "launch → \"persistent messages recovered\" log line, s", h, a, "recovered_ms", 1000, true);
        line(b, "queue size the statistics plugin reports after the restart", h, a, "queue_size", 1, false);
        line(b, "peak RSS after start-up (VmHWM), MB", h, a, "rss_hwm_mb", 1, true);
        line(b, "broker CPU from launch to the probe's answer, s", h, a, "startup_cpu_s", 1, true);
        line(b, "machine load average (1 min) at the probe's answer", h, a, "loadavg_1m", 1, false);
        b.append("| status | ").append(h == null ? "not run" : h.s("status")).append(" | ")
            .append(a == null ? "not run" : a.s("status")).append(" | |\n");
        for (Report.Row r : new Report.Row[] {h, a}) {
            if (r != null && !r.s("detail").isEmpty()) {
                b.append("\n").append(r.s("broker")).append(": ").append(r.s("detail")).append('\n');
            }
        }
        b.append("\nhermod loads every stored message into memory before it opens its port, so \"port accepts\" ")
            .append("already means \"every message is deliverable\". ActiveMQ (KahaDB) opens its index and pages ")
            .append("messages in on demand, so its port and first message come before the store is read.\n");
        for (Report.Row r : new Report.Row[] {h, a}) {
            if (r == null) {
                continue;
            }
            b.append("\n").append(r.s("broker").equals(Report.H) ? "hermod" : "ActiveMQ")
                .append(" start-up log (store lines; offset from launch):\n\n```\n");
            String p = r.s("progress");
            b.append(p.isEmpty() ? "(no store lines in the log)" : p.replace("|", "\n")).append("\n```\n");
        }
        return b.toString();
    }

    static void line(StringBuilder b, String what, Report.Row h, Report.Row a, String key, double div, boolean ratio) {
        double hv = h == null ? Double.NaN : h.d(key) / div, av = a == null ? Double.NaN : a.d(key) / div;
        b.append("| ").append(what).append(" | ").append(fmt(hv, div)).append(" | ").append(fmt(av, div)).append(" | ")
            .append(ratio ? Report.ratio(hv, av) : "").append(" |\n");
    }

    static String fmt(double v, double div) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (div == 1 && v == Math.rint(v) && v >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return div > 1 ? String.format(Locale.ROOT, "%.2f", v) : Report.num(v);
    }
}
