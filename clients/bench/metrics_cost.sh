#!/usr/bin/env bash
# What being scraped costs the messaging (issue 18): the benchmark's persistent and
# non-persistent queue 1→1 rows against one release hermod holding 10,000 queues, with and
# without /metrics scraped every second, the two modes alternating (ROUNDS times each).
#   clients/bench/metrics_cost.sh          writes build/bench/metrics-cost.md
# Environment: HERMOD (default build/release/hermod), BENCH_DURATION (s, default 15), ROUNDS
# (default 2), DESTS (default 10000), BENCH_PORT (default 61610; HTTP at +1; IT_PORT_SHIFT moves it).
# Besides the means it reports the spread: each mode's standard deviation and range, and the
# change measured pair by pair (a round's scraped run against its quiet run, which ran next to
# it) with a 95% interval, so a result within the noise says so.  It also measures what one
# scrape costs the broker in CPU time (from /proc), independent of the machine's noise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
hermod=${HERMOD:-$root/build/release/hermod}
port=${BENCH_PORT:-$((61610 + ${IT_PORT_SHIFT:-0}))}
http=$((port + 1))
dur=${BENCH_DURATION:-15}
rounds=${ROUNDS:-2}
dests=${DESTS:-10000}
out=$root/build/bench/metrics-cost
rm -rf "$out"; mkdir -p "$out"
CP=$("$here/build.sh")
cat > "$out/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="cost" dataDirectory="$out/data" persistent="true">
  <persistenceAdapter><bdb directory="$out/data/bdb" syncPolicy="always"/></persistenceAdapter>
  <transportConnectors><transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/></transportConnectors>
  <webConsole uri="http://127.0.0.1:$http"/>
</broker>
XML
"$hermod" --config "$out/hermod.xml" 2> "$out/hermod.log" &
bpid=$!
scraper=""
trap 'kill $scraper $bpid 2>/dev/null; wait $bpid 2>/dev/null' EXIT
for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$http/api/broker" && break; sleep 0.1; done
/usr/bin/python3 - "$http" "$dests" <<'PY'
import http.client, sys
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    c.request('POST', '/api/destinations?queue=cost.%05d' % i, headers={'X-Requested-By': 'cost'})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit('creating queue %d: HTTP %d' % (i, r.status))
PY
scrape_stats() {   # scrape_stats: how long one scrape takes (s) and its size, 5 times
    for i in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$http/metrics"; done
}
scrape_stats > "$out/scrape-times.txt"
cpu_ms() { awk '{ print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"' }' "/proc/$bpid/stat"; }
c0=$(cpu_ms)
for i in $(seq 1 20); do curl -s -o /dev/null "http://127.0.0.1:$http/metrics"; done
c1=$(cpu_ms)
echo "$c0 $c1" | awk '{ printf "%.1f\n", ($2 - $1) / 20 }' > "$out/scrape-cpu-ms.txt"
row() {  # row ID OPTS MODE ROUND: one benchmark run; prints "ID MODE ROUND recv_rate p99_us"
    local id=$1 opts=$2 mode=$3 r=$4 res=$out/$1-$3-$4.properties
    if [ "$mode" = scraped ]; then
        (while true; do curl -s -o /dev/null "http://127.0.0.1:$http/metrics"; sleep 1; done) &
        scraper=$!
    fi
    # shellcheck disable=SC2086
    java -Xmx1g -cp "$CP" hermod.bench.Bench --url "tcp://127.0.0.1:$port" $opts --dest "bench.$id" \
        --warmup 3 --duration "$dur" --drain-timeout 8 --out "$res" > "$out/$id-$mode-$r.txt" 2>&1 || true
    if [ -n "$scraper" ]; then kill "$scraper"; wait "$scraper" 2>/dev/null || true; scraper=""; fi
    echo "$id $mode $r $(sed -n 's/^recv_rate=//p' "$res") $(sed -n 's/^p99_us=//p' "$res") $(sed -n 's/^status=//p' "$res")"
}
for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) = 1 ]; then modes="quiet scraped"; else modes="scraped quiet"; fi
    for m in $modes; do
        row pq11 "--queue --persistent --size 1024" "$m" "$r"
        row npq11 "--queue --non-persistent --size 1024" "$m" "$r"
    done
done | tee "$out/rows.txt"
/usr/bin/python3 - "$out/rows.txt" "$dests" "$dur" "$rounds" "$(cat "$out/scrape-cpu-ms.txt")" > "$out/../metrics-cost.md" <<'PY'
import math, statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
dests, dur, rounds, cpu = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23,
       11: 2.20, 12: 2.18, 13: 2.16, 14: 2.14, 15: 2.13}
print("# /metrics every second with %s queues: messaging rows\n" % dests)
print("%d rounds of %s s each, modes alternating; received msg/s (mean, standard deviation, range)" % (rounds, dur))
print("and the change measured pair by pair (each round's scraped run against its own quiet run):")
print("mean of the pairs' changes with its 95%% interval (Student's t over %d pairs).\n" % rounds)
print("| workload | quiet msg/s | scraped msg/s | paired change | 95% interval | quiet p99 ms | scraped p99 ms |")
print("|---|---:|---:|---:|---:|---:|---:|")
for wid in ("pq11", "npq11"):
    by = {}
    for r in rows:
        if r[0] == wid and len(r) >= 5 and r[3] not in ("", "0"):
            by[(r[1], r[2])] = (float(r[3]), float(r[4]))
    q = [by[k][0] for k in sorted(by) if k[0] == "quiet"]
    s = [by[k][0] for k in sorted(by) if k[0] == "scraped"]
    pairs = [(by[("quiet", n)][0], by[("scraped", n)][0]) for n in sorted({k[1] for k in by})
             if ("quiet", n) in by and ("scraped", n) in by]
    ch = [(b - a) * 100 / a for a, b in pairs]
    def spread(v):
        return "%.0f ± %.0f (%.0f–%.0f)" % (st.mean(v), st.stdev(v) if len(v) > 1 else 0, min(v), max(v))
    m = st.mean(ch) if ch else float("nan")
    half = T95.get(len(ch) - 1, 2.0) * st.stdev(ch) / math.sqrt(len(ch)) if len(ch) > 1 else float("nan")
    qp = [by[k][1] / 1000 for k in by if k[0] == "quiet"]
    sp = [by[k][1] / 1000 for k in by if k[0] == "scraped"]
    print("| %s | %s | %s | %+.1f%% | %+.1f%% … %+.1f%% | %.2f | %.2f |" % (
        wid, spread(q), spread(s), m, m - half, m + half, st.mean(qp), st.mean(sp)))
print("\nPer pair (quiet → scraped, change):\n")
for wid in ("pq11", "npq11"):
    by = {(r[1], r[2]): float(r[3]) for r in rows if r[0] == wid and len(r) >= 4 and r[3] not in ("", "0")}
    for n in sorted({k[1] for k in by}, key=int):
        if ("quiet", n) in by and ("scraped", n) in by:
            a, b = by[("quiet", n)], by[("scraped", n)]
            print("    %s round %s: %.0f → %.0f (%+.1f%%)" % (wid, n, a, b, (b - a) * 100 / a))
print("\nBroker CPU time per scrape (20 scrapes, /proc/PID/stat utime+stime): %.1f ms, i.e. %.1f%% of one"
      " core when scraped every second." % (cpu, cpu / 10))
PY
{ echo; echo "One scrape (seconds, bytes):"; echo; sed 's/^/    /' "$out/scrape-times.txt"; } >> "$out/../metrics-cost.md"
cat "$out/../metrics-cost.md"
