#!/usr/bin/env bash
# What being scraped costs the messaging (issue 18): the benchmark's persistent and
# non-persistent queue 1→1 rows against one release hermod holding 10,000 queues, with and
# without /metrics scraped every second, the two modes alternating (ROUNDS times each).
#   clients/bench/metrics_cost.sh          writes build/bench/metrics-cost.md
# Environment: HERMOD (default build/release/hermod), BENCH_DURATION (s, default 15), ROUNDS
# (default 2), DESTS (default 10000), BENCH_PORT (default 61610; HTTP at +1; IT_PORT_SHIFT moves it).
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
awk -v dests="$dests" -v dur="$dur" -v rounds="$rounds" '
    { sum[$1 " " $2] += $4; n[$1 " " $2]++; p99[$1 " " $2] += $5 }
    END {
        printf "# /metrics every second with %d queues: messaging rows\n\n", dests
        printf "%d rounds of %d s each, modes alternating; mean received msg/s and p99 (ms).\n\n", rounds, dur
        printf "| workload | quiet msg/s | scraped msg/s | change | quiet p99 ms | scraped p99 ms |\n|---|---:|---:|---:|---:|---:|\n"
        split("pq11 npq11", ids, " ")
        for (k = 1; k <= 2; k++) {
            id = ids[k]; q = sum[id " quiet"] / n[id " quiet"]; s = sum[id " scraped"] / n[id " scraped"]
            printf "| %s | %.0f | %.0f | %+.1f%% | %.2f | %.2f |\n", id, q, s, (s - q) * 100 / q,
                   p99[id " quiet"] / n[id " quiet"] / 1000, p99[id " scraped"] / n[id " scraped"] / 1000
        }
    }' "$out/rows.txt" > "$out/../metrics-cost.md"
{ echo; echo "One scrape (seconds, bytes):"; echo; sed 's/^/    /' "$out/scrape-times.txt"; } >> "$out/../metrics-cost.md"
cat "$out/../metrics-cost.md"
