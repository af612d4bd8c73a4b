#!/usr/bin/env bash
# hermod vs ActiveMQ 5.17, side by side, on loopback (project issue 7).
#   clients/bench/compare.sh              full run (~7 min on 2 cores)
#   BENCH_DURATION=5 BENCH_WARMUP=1 clients/bench/compare.sh    shorter
#   BENCH_ONLY=npq11,rr clients/bench/compare.sh                a subset of workloads
# Builds hermod (release) and the load tool, then for each workload starts a fresh hermod and a
# fresh ActiveMQ (alternating which goes first), runs the same bench options against each, and
# samples the broker's VmRSS and CPU time from /proc. Writes build/bench/results.{md,csv} and
# build/bench/chart.svg; per-run output is in build/bench/logs/.
# Uses ports 62310-62349 only.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/bench
dur=${BENCH_DURATION:-15}
warm=${BENCH_WARMUP:-3}
drain=${BENCH_DRAIN:-8}
depth=${BENCH_DEPTH:-20000}
only=${BENCH_ONLY:-}
hport=62310
aport=62330
pport=62349
refbroker=$root/test/tools/refbroker.sh
hermod=$root/build/release/hermod

# id|label|bench options. The same options go to both brokers.
workloads=(
  "pq11|persistent queue 1→1|--queue --persistent --size 1024"
  "npq11|non-persistent queue 1→1|--queue --non-persistent --size 1024"
  "npq11r|non-persistent queue 1→1 @2000/s|--queue --non-persistent --size 1024 --rate 2000"
  "topic14|topic fan-out 1→4|--topic --consumers 4 --non-persistent --size 1024"
  "tx100|persistent tx batches of 100|--queue --persistent --tx-batch 100 --size 1024"
  "p4|persistent queue 4 producers→1|--queue --producers 4 --consumers 1 --persistent --size 1024"
  "rr|request/reply (1 requester)|--request-reply --non-persistent --size 256"
  "mix|SPECjms2007-like mix @300/s|--workload $here/workloads/supplychain.json"
  "sel|1% selector; ${depth}-deep queue|--queue --non-persistent --size 512 --prefill $depth --selector region='EU' --match-every 100 --rate 1000"
)

log() { echo "compare: $*" >&2; }

cur_kind=""; cur_pid=""; cur_dir=""; sampler=""
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
    stop_broker
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
now_ms() { date +%s%3N; }

hermod_config() { # DIR PORT
    cat > "$1/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="bench" dataDirectory="$1/data" persistent="true">
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$2?maximumConnections=1000&amp;wireFormat.maxFrameSize=104857600"/>
  </transportConnectors>
</broker>
XML
}

# start_broker hermod|activemq PORT DIR [keep]: fresh broker; sets cur_pid and startup_ms.
start_broker() {
    local kind=$1 port=$2 dir=$3 keep=${4:-} t0 i
    [ -z "$keep" ] && rm -rf "$dir"
    mkdir -p "$dir/data"
    cur_kind=$kind; cur_dir=$dir; cur_pid=""
    if port_open "$port"; then log "port $port is already in use"; return 1; fi
    t0=$(now_ms)
    if [ "$kind" = hermod ]; then
        hermod_config "$dir" "$port"
        "$hermod" --config "$dir/hermod.xml" 2>>"$dir/hermod.log" &
        cur_pid=$!
    else
        bash "$refbroker" start "$port" "$dir/ref" >/dev/null 2>"$dir/refbroker.err" &
        local starter=$!
    fi
    for i in $(seq 1 1200); do
        port_open "$port" && break
        if [ "$kind" = hermod ] && ! kill -0 "$cur_pid" 2>/dev/null; then
            log "hermod exited at start-up:"; tail -5 "$dir/hermod.log" >&2; cur_pid=""; return 1
        fi
        if [ "$kind" = activemq ] && ! kill -0 "$starter" 2>/dev/null && ! port_open "$port"; then
            log "ActiveMQ did not start:"; tail -5 "$dir/refbroker.err" >&2; return 1
        fi
        sleep 0.02
    done
    startup_ms=$(( $(now_ms) - t0 ))
    if [ "$kind" = activemq ]; then
        wait "$starter" || { log "ActiveMQ did not start"; return 1; }
        cur_pid=$(cat "$dir/ref/broker.pid")
    fi
    port_open "$port" || { log "$kind did not open port $port"; return 1; }
}

stop_broker() {
    if [ "$cur_kind" = activemq ] && [ -n "$cur_dir" ]; then
        bash "$refbroker" stop "$cur_dir/ref" >/dev/null 2>&1
    elif [ "$cur_kind" = hermod ] && [ -n "$cur_pid" ]; then
        kill -TERM "$cur_pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$cur_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$cur_pid" 2>/dev/null
        wait "$cur_pid" 2>/dev/null
    fi
    cur_kind=""; cur_pid=""
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null; }

# sample_rss PID FILE: writes the peak VmRSS (kB) seen so far to FILE every 0.5 s.
sample_rss() {
    local pid=$1 file=$2 peak=0 r
    while kill -0 "$pid" 2>/dev/null; do
        r=$(rss_kb "$pid")
        if [ -n "$r" ] && [ "$r" -gt "$peak" ]; then peak=$r; echo "$peak" > "$file"; fi
        sleep 0.5
    done
}

csv_safe() { tr ',\n"' ';  ' | cut -c1-300; }

# ---- build
log "building hermod (release) and the load tool"
(cd "$root" && scons -Q -j2 variant=release) >&2 || { log "hermod build failed"; exit 1; }
CP=$("$here/build.sh") || { log "tool build failed"; exit 1; }
rm -rf "$out"; mkdir -p "$out/logs"
tck=$(getconf CLK_TCK)

# ---- is hermod's persistence real? (send persistent, restart, count)
log "persistence check: 20 persistent messages across a hermod restart"
durability="not checked"
if start_broker hermod $pport "$out/run/durability"; then
    java -cp "$CP" hermod.bench.Durability send tcp://127.0.0.1:$pport bench.durability 20 >/dev/null 2>"$out/logs/durability.txt"
    stop_broker
    if start_broker hermod $pport "$out/run/durability" keep; then
        got=$(timeout 60 java -cp "$CP" hermod.bench.Durability receive tcp://127.0.0.1:$pport bench.durability 3000 2>>"$out/logs/durability.txt")
        stop_broker
        if [ "${got:-0}" = 20 ]; then
            durability="hermod (persistent=\"true\") returned 20 of 20 persistent messages after a restart: both brokers store persistent messages durably."
        else
            durability="hermod (persistent=\"true\") returned ${got:-0} of 20 persistent messages after a restart: this hermod build does not yet store persistent messages, so its persistent-workload numbers measure in-memory delivery while ActiveMQ writes (and syncs) KahaDB. Those rows are not a like-for-like comparison."
        fi
    fi
fi
log "$durability"

# ---- the workloads
echo "workload,label,broker,status,recv_rate,send_rate,p50_us,p90_us,p99_us,p999_us,max_us,samples,errors,received_all_phases,expected_all_phases,broker_messages,cpu_s,cpu_s_per_100k,rss_peak_mb,startup_ms,detail" > "$out/results.csv"
wl_meta=""
i=0
for w in "${workloads[@]}"; do
    IFS='|' read -r id label opts <<< "$w"
    label=${label//,/;}
    if [ -n "$only" ] && [[ ",$only," != *",$id,"* ]]; then continue; fi
    wl_meta+="$id: $opts --warmup $warm --duration $dur;;"
    if (( i % 2 == 0 )); then order="hermod activemq"; else order="activemq hermod"; fi
    for kind in $order; do
        [ $kind = hermod ] && port=$((hport + i)) || port=$((aport + i))
        res=$out/logs/$id-$kind.res
        : > "$res"
        startup_ms=""; status=""; detail=""; cpu_s=""; per100k=""; rss_mb=""
        log "$id on $kind (port $port)"
        if ! start_broker $kind $port "$out/run/$id-$kind"; then
            status=broker-failed; detail="broker did not start"
        else
            peakf=$out/logs/$id-$kind.rss
            echo 0 > "$peakf"
            sample_rss "$cur_pid" "$peakf" &
            sampler=$!
            c0=$(cpu_ticks "$cur_pid")
            # shellcheck disable=SC2086
            timeout $((warm + dur + drain + 120)) java -Xmx1g -cp "$CP" hermod.bench.Bench --url "tcp://127.0.0.1:$port" \
                $opts --warmup "$warm" --duration "$dur" --drain-timeout "$drain" --out "$res" \
                > "$out/logs/$id-$kind.txt" 2>&1
            rc=$?
            c1=$(cpu_ticks "$cur_pid")
            [ -z "$c1" ] && { c1=$c0; detail="broker died during the run"; }
            kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null; sampler=""
            rss_mb=$(awk '{printf "%.1f", $1/1024}' "$peakf")
            stop_broker
            status=$(sed -n 's/^status=//p' "$res")
            [ -z "$status" ] && status="tool-failed(rc=$rc)"
            msgs=$(sed -n 's/^broker_messages=//p' "$res")
            cpu_s=$(awk -v a="$c0" -v b="$c1" -v t="$tck" 'BEGIN{printf "%.2f", (b-a)/t}')
            if [ -n "$msgs" ] && [ "$msgs" -gt 0 ]; then
                per100k=$(awk -v c="$cpu_s" -v m="$msgs" 'BEGIN{printf "%.3f", c*100000/m}')
            fi
            [ -z "$detail" ] && detail=$(sed -n 's/^unsupported=//p; s/^first_error=//p; s/^error=//p' "$res" | head -1)
        fi
        g() { sed -n "s/^$1=//p" "$res"; }
        echo "$id,$label,$kind,$status,$(g recv_rate),$(g send_rate),$(g p50_us),$(g p90_us),$(g p99_us),$(g p999_us),$(g max_us),$(g samples),$(g errors),$(g received_all_phases),$(g expected_all_phases),$(g broker_messages),$cpu_s,$per100k,$rss_mb,$startup_ms,$(printf '%s' "$detail" | csv_safe)" >> "$out/results.csv"
        log "  -> $status $(g recv_rate) msg/s p99 $(g p99_us) us, cpu ${cpu_s}s, rss ${rss_mb} MB, start ${startup_ms} ms"
    done
    i=$((i + 1))
done

# ---- report
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/^[^:]*: *//')"
    echo "mem=$(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo)"
    echo "hermod=git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), release build (scons variant=release), persistent=\"true\" config, 2 event loops"
    echo "activemq=$(ls /usr/share/java/activemq-broker-*.jar 2>/dev/null | sed 's/.*broker-//; s/\.jar//') (Debian), test/tools/refbroker.sh: KahaDB with journal disk syncs (default), prioritizedMessages, -Xms256M -Xmx512M, OpenJDK $(java -version 2>&1 | awk -F'"' '/version/{print $2}')"
    echo "method=each workload: a fresh broker of each kind (empty data directory), started one after the other on loopback, alternating which goes first; ${warm} s warm-up then ${dur} s measured load, then up to ${drain} s to drain; the load tool (one JVM, ActiveMQ 5.17 JMS client, one connection per producer/consumer) runs on the same 2-core machine and competes with the broker for CPU."
    echo "durability=$durability"
    echo "workloads=$wl_meta"
} > "$out/meta.properties"
java -cp "$CP" hermod.bench.Report "$out/results.csv" "$out/meta.properties" "$out/results.md" "$out/chart.svg" \
    || { log "report failed"; exit 1; }
log "wrote $out/results.md, $out/results.csv, $out/chart.svg"
cat "$out/results.md"
