#!/usr/bin/env bash
# hermod vs ActiveMQ 5.17, side by side, on loopback (project issue 7).
#   clients/bench/compare.sh              full run (~7 min on 2 cores)
#   BENCH_DURATION=5 BENCH_WARMUP=1 clients/bench/compare.sh    shorter
#   BENCH_ONLY=npq11,rr clients/bench/compare.sh                a subset of workloads
#   BENCH_ONLY=xa2pc,xa2pc4,startup clients/bench/compare.sh    the XA and start-up rows only
#   BENCH_STARTUP=0 clients/bench/compare.sh                    skip the start-up row (1M messages)
#   BENCH_ONLY=backlog BENCH_BACKLOG_COUNT=1000000 clients/bench/compare.sh
#                                       the deep-backlog row only (not in the default run: 5,000,000
#                                       x 1 KiB by default, 64 MB memory limit on both brokers)
#   BENCH_PORT_BASE=61310 clients/bench/compare.sh              ports BASE..BASE+39 (default 62310)
#   BENCH_REF_HERMOD=/old/build/release/hermod clients/bench/compare.sh
#                                       before/after: that hermod binary takes ActiveMQ's place (the
#                                       "ActiveMQ" columns are then the other build)
# Builds hermod (release) and the load tool, then for each workload starts a fresh hermod and a
# fresh ActiveMQ (alternating which goes first), runs the same bench options against each, and
# samples the broker's VmRSS and CPU time from /proc. Writes build/bench/results.{md,csv} and
# build/bench/chart.svg; per-run output is in build/bench/logs/.
# Uses ports BENCH_PORT_BASE .. BENCH_PORT_BASE+39 only (default 62310-62349).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/bench
dur=${BENCH_DURATION:-15}
warm=${BENCH_WARMUP:-3}
drain=${BENCH_DRAIN:-8}
depth=${BENCH_DEPTH:-20000}
only=${BENCH_ONLY:-}
xadur=${BENCH_XA_DURATION:-8}
startup_run=${BENCH_STARTUP:-1}
startup_count=${BENCH_STARTUP_COUNT:-1000000}
startup_count_amq=${BENCH_STARTUP_COUNT_AMQ:-$startup_count}
startup_size=${BENCH_STARTUP_SIZE:-150}
backlog_count=${BENCH_BACKLOG_COUNT:-5000000}
base=${BENCH_PORT_BASE:-62310}
hport=$base
aport=$((base + 20))
sport_h=$((base + 36))
sport_a=$((base + 37))
pport=$((base + 39))
refbroker=$root/test/tools/refbroker.sh
hermod=$root/build/release/hermod
ref_hermod=${BENCH_REF_HERMOD:-}

# id|label|bench options[|measured seconds, when not BENCH_DURATION]. The same options go to
# both brokers. The XA rows count committed global transactions, not messages.
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
  "xa2pc|XA 2PC receive+send; 2 resources; 1 TM thread (tx/s)|--xa --workers 1 --resources 2 --size 256|$xadur"
  "xa2pc4|XA 2PC receive+send; 2 resources; 4 TM threads (tx/s)|--xa --workers 4 --resources 2 --size 256|$xadur"
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

hermod_config() { # DIR PORT [EXTRA_BROKER_XML]
    cat > "$1/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="bench" dataDirectory="$1/data" persistent="true">
  ${3:-}
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$2?maximumConnections=1000&amp;wireFormat.maxFrameSize=104857600"/>
  </transportConnectors>
</broker>
XML
}

# start_broker hermod|activemq PORT DIR [keep [EXTRA_BROKER_XML]]: fresh broker (or, with keep,
# the same data directory again); sets cur_pid, startup_ms and launch_ms (epoch ms of the launch).
start_broker() {
    local kind=$1 port=$2 dir=$3 keep=${4:-} extra=${5:-} t0 i
    [ -z "$keep" ] && rm -rf "$dir"
    mkdir -p "$dir/data"
    cur_kind=$kind; cur_dir=$dir; cur_pid=""
    if port_open "$port"; then log "port $port is already in use"; return 1; fi
    [ "$kind" = hermod ] || [ -n "$ref_hermod" ] && hermod_config "$dir" "$port" "$extra"
    t0=$(now_ms); launch_ms=$t0
    if [ "$kind" = hermod ] || [ -n "$ref_hermod" ]; then
        local bin=$hermod
        [ "$kind" = activemq ] && bin=$ref_hermod
        "$bin" --config "$dir/hermod.xml" 2>>"$dir/hermod.log" &
        cur_pid=$!
    else
        bash "$refbroker" start "$port" "$dir/ref" "$extra" >/dev/null 2>"$dir/refbroker.err" &
        local starter=$!
    fi
    for i in $(seq 1 ${start_polls:-1200}); do
        port_open "$port" && break
        if [ -n "$cur_pid" ] && ! kill -0 "$cur_pid" 2>/dev/null; then
            log "hermod exited at start-up:"; tail -5 "$dir/hermod.log" >&2; cur_pid=""; return 1
        fi
        if [ -z "$cur_pid" ] && ! kill -0 "$starter" 2>/dev/null && ! port_open "$port"; then
            log "ActiveMQ did not start:"; tail -5 "$dir/refbroker.err" >&2; return 1
        fi
        sleep 0.02
    done
    startup_ms=$(( $(now_ms) - t0 ))
    if [ -z "$cur_pid" ]; then
        wait "$starter" || { log "ActiveMQ did not start"; return 1; }
        cur_pid=$(cat "$dir/ref/broker.pid")
    fi
    port_open "$port" || { log "$kind did not open port $port"; return 1; }
}

stop_broker() {
    if [ "$cur_kind" = activemq ] && [ -n "$cur_dir" ] && [ -z "$ref_hermod" ]; then
        bash "$refbroker" stop "$cur_dir/ref" >/dev/null 2>&1
    elif [ -n "$cur_pid" ]; then
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
    IFS='|' read -r id label opts wdur <<< "$w"
    label=${label//,/;}
    wdur=${wdur:-$dur}
    if [ -n "$only" ] && [[ ",$only," != *",$id,"* ]]; then continue; fi
    wl_meta+="$id: $opts --warmup $warm --duration $wdur;;"
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
            timeout $((warm + wdur + drain + 120)) java -Xmx1g -cp "$CP" hermod.bench.Bench --url "tcp://127.0.0.1:$port" \
                $opts --warmup "$warm" --duration "$wdur" --drain-timeout "$drain" --out "$res" \
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

# ---- start-up with a full store (issue 4)
# Each broker: fill bench.startup with N persistent messages through JMS, stop it gracefully,
# then start it again with a probe JVM already waiting, and time the launch to (a) the port
# accepting, (b) a JMS connection, (c) the first message received, and for hermod (d) the log
# line that says recovery finished. The probe also asks the statistics plugin how many messages
# the queue holds, so a restart that lost messages cannot look fast.
stats_xml="<plugins><statisticsBrokerPlugin/></plugins>"
iso_ms() { date -u -d "$1" +%s%3N 2>/dev/null; }

# stop_graceful: SIGTERM and up to 300 s to exit on its own; sets stop_ms ("killed" if it had
# to be killed). A killed ActiveMQ replays its journal at the next start, which is not the case
# this row measures, so the usual 5-10 s stop limit is too short here.
stop_graceful() {
    local pid=$cur_pid t0
    stop_ms=""
    [ -z "$pid" ] && return
    t0=$(now_ms)
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 3000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$cur_kind did not stop within 300 s; killing it"; kill -KILL "$pid" 2>/dev/null; stop_ms=killed
    else
        stop_ms=$(( $(now_ms) - t0 ))
    fi
    [ "$cur_kind" = hermod ] && wait "$pid" 2>/dev/null
    cur_kind=""; cur_pid=""
}

# progress_lines KIND LOGFILE FROM_LINE: the broker's start-up log lines that report the store,
# each prefixed with its offset from launch_ms ("+1.23s").
progress_lines() {
    local kind=$1 file=$2 from=$3 pat ts t
    if [ "$kind" = hermod ]; then
        pat='store: |listening on|started'
    else
        pat='KahaDB|[Rr]ecover|[Jj]ournal|PListStore|[Ll]istening for|started|[Ss]tarting'
    fi
    tail -n +"$from" "$file" | grep -E "$pat" | head -40 | while IFS= read -r line; do
        if [ "$kind" = hermod ]; then ts=${line%% *}; else ts="${line:0:23}"; fi
        t=$(iso_ms "$ts")
        [ -n "$t" ] && printf '+%.2fs %s\n' "$(awk -v a="$t" -v b="$launch_ms" 'BEGIN{print (a-b)/1000}')" \
            "$(printf '%s' "$line" | sed -E 's/^[0-9T:. Z-]+ +(INFO|WARN|ERROR|DEBUG) +//' | cut -c1-160)"
    done
}

run_startup() { # KIND PORT COUNT
    local kind=$1 port=$2 n=$3
    local d=$out/run/startup-$kind pre=$out/logs/startup-$kind
    local status=ok detail="" fill_s="" fill_rate="" store_mb="" listen="" connect="" first="" recovered=""
    local qsize="" rss="" cpu="" prog="" from=1 logf pp ticks fill_stop_ms="" loadavg=""
    log "startup on $kind (port $port): filling $n persistent messages of $startup_size B"
    stop_ms=""
    if ! start_broker "$kind" "$port" "$d" "" "$stats_xml"; then
        status=broker-failed; detail="broker did not start"
    else
        timeout 1200 java -Xmx512m -cp "$CP" hermod.bench.Startup fill --url "tcp://127.0.0.1:$port" --queue bench.startup \
            --count "$n" --size "$startup_size" --producers 4 --batch 500 --out "$pre-fill.res" > "$pre-fill.txt" 2>&1
        fill_s=$(sed -n 's/^fill_s=//p' "$pre-fill.res" 2>/dev/null)
        fill_rate=$(sed -n 's/^fill_rate=//p' "$pre-fill.res" 2>/dev/null)
        [ "$(sed -n 's/^status=//p' "$pre-fill.res" 2>/dev/null)" = ok ] || { status=fill-failed; detail=$(tail -1 "$pre-fill.txt"); }
        log "  filled in ${fill_s} s (${fill_rate} msg/s); stopping gracefully"
        stop_graceful
        fill_stop_ms=$stop_ms
        store_mb=$(du -sm "$d" | cut -f1)
        log "  stopped in ${stop_ms} ms; store ${store_mb} MB; restarting with the probe waiting"
    fi
    if [ "$status" = ok ]; then
        if [ "$kind" = hermod ]; then logf=$d/hermod.log; else logf=$d/ref/broker.log; fi
        [ -f "$logf" ] && from=$(( $(wc -l < "$logf") + 1 ))
        [ "$kind" = activemq ] && from=1   # refbroker.sh starts a new broker.log
        rm -f "$pre.ready"
        timeout 900 java -Xmx256m -cp "$CP" hermod.bench.Startup probe --url "tcp://127.0.0.1:$port" --queue bench.startup \
            --ready "$pre.ready" --out "$pre-probe.res" --timeout 600 > "$pre-probe.txt" 2>&1 &
        pp=$!
        for _ in $(seq 1 3000); do [ -f "$pre.ready" ] && break; kill -0 $pp 2>/dev/null || break; sleep 0.02; done
        if ! start_polls=30000 start_broker "$kind" "$port" "$d" keep "$stats_xml"; then
            status=broker-failed; detail="broker did not restart"
        fi
        listen=$startup_ms
        wait $pp
        loadavg=$(cut -d' ' -f1 /proc/loadavg)
        if [ "$(sed -n 's/^status=//p' "$pre-probe.res" 2>/dev/null)" = ok ]; then
            listen=$(( $(sed -n 's/^listen_epoch_ms=//p' "$pre-probe.res") - launch_ms ))
            connect=$(( $(sed -n 's/^connect_epoch_ms=//p' "$pre-probe.res") - launch_ms ))
            first=$(( $(sed -n 's/^first_epoch_ms=//p' "$pre-probe.res") - launch_ms ))
            qsize=$(sed -n 's/^queue_size=//p' "$pre-probe.res")
            [ "$qsize" != "$n" ] && { status=incomplete; detail="the queue holds $qsize of $n messages after the restart"; }
        else
            [ "$status" = ok ] && status=probe-failed
            detail=$(sed -n 's/^error=//p' "$pre-probe.res" 2>/dev/null)
        fi
        if [ -n "$cur_pid" ]; then
            rss=$(awk '/^VmHWM/{printf "%.1f", $2/1024}' "/proc/$cur_pid/status" 2>/dev/null)
            ticks=$(cpu_ticks "$cur_pid")
            cpu=$(awk -v a="${ticks:-0}" -v t="$tck" 'BEGIN{printf "%.2f", a/t}')
        fi
        if [ "$kind" = hermod ]; then
            local line
            line=$(tail -n +"$from" "$logf" | grep -m1 'persistent messages recovered')
            [ -n "$line" ] && recovered=$(( $(iso_ms "${line%% *}") - launch_ms ))
        fi
        progress_lines "$kind" "$logf" "$from" > "$pre-progress.txt"
        prog=$(paste -sd'|' "$pre-progress.txt")
        log "  listening after ${listen} ms, connected ${connect} ms, first message ${first} ms, recovered-line ${recovered:-–} ms; queue holds $qsize; peak RSS ${rss} MB"
        stop_graceful
    fi
    echo "$kind,$n,$startup_size,$status,$fill_s,$fill_rate,$store_mb,$fill_stop_ms,$listen,$connect,$first,$recovered,$qsize,$rss,$cpu,$loadavg,$(printf '%s' "$prog" | tr ',"' ";'"),$(printf '%s' "$detail" | csv_safe)" >> "$out/startup.csv"
}

if [ "$startup_run" = 1 ] && { [ -z "$only" ] || [[ ",$only," == *",startup,"* ]]; }; then
    mkdir -p "$out/run"
    echo "broker,messages,body_bytes,status,fill_s,fill_rate,store_mb,stop_ms,listen_ms,connect_ms,first_ms,recovered_ms,queue_size,rss_hwm_mb,startup_cpu_s,loadavg_1m,progress,detail" > "$out/startup.csv"
    # ActiveMQ at its usual INFO logging (Debian's broker uses log4j 1.x; refbroker.sh's log4j2
    # file does not reach it) so its start-up lines can be shown next to hermod's, and with 600 s
    # for the port instead of 60.
    cat > "$out/run/log4j-info.properties" <<'P'
log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=%d{yyyy-MM-dd HH:mm:ss.SSS} %-5p %c{1} - %m%n
P
    sed -e 's/seq 1 120)/seq 1 1200)/' \
        -e "s|-Dlog4j.configurationFile=|-Dlog4j.configuration=file:$out/run/log4j-info.properties -Dlog4j.configurationFile=|" \
        "$root/test/tools/refbroker.sh" > "$out/run/refbroker-info.sh"
    saved_ref=$refbroker; refbroker=$out/run/refbroker-info.sh
    run_startup hermod "$sport_h" "$startup_count"
    run_startup activemq "$sport_a" "$startup_count_amq"
    refbroker=$saved_ref
    echo "startup=fill: 4 producer connections, local transactions of 500, persistent ${startup_size}-byte BytesMessages, one queue; graceful stop (SIGTERM); restart with a probe JVM already running that polls the port every 5 ms, then connects (JMS) every 10 ms, receives one message (prefetch 1, unacknowledged) and asks the statistics plugin for the queue size." >> "$out/startup.meta"
fi

# ---- the deep backlog (issue 14): N x 1 KiB persistent on one queue with a 64 MB memory limit,
# for each broker: fill (4 producers, transactions of 500) with the peak VmRSS sampled, graceful
# stop, restart with the probe waiting (launch -> first message), then one consumer drains it
# all with the peak VmRSS sampled again.
backlog_xml='<systemUsage><systemUsage><memoryUsage><memoryUsage limit="64 mb"/></memoryUsage></systemUsage></systemUsage>'$stats_xml

# rss_watch PID FILE: the peak VmRSS (kB) of PID into FILE every 0.5 s while PID lives.
rss_watch() {
    local pid=$1 f=$2 peak=0 v
    echo 0 > "$f"
    while kill -0 "$pid" 2>/dev/null; do
        v=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null)
        if [ -n "$v" ] && [ "$v" -gt "$peak" ]; then peak=$v; echo "$peak" > "$f"; fi
        sleep 0.5
    done
}
kb_mb() { awk -v k="$(cat "$1" 2>/dev/null)" 'BEGIN{printf "%.0f", k/1024}'; }

run_backlog() { # KIND PORT COUNT
    local kind=$1 port=$2 n=$3
    local d=$out/run/backlog-$kind pre=$out/logs/backlog-$kind
    local status=ok detail="" fill_rate="" fill_rss="" store_mb="" first="" qsize="" drain_rate="" drain_rss="" w pp
    log "backlog on $kind (port $port): $n persistent messages of 1 KiB, memory limit 64 MB"
    if ! start_broker "$kind" "$port" "$d" "" "$backlog_xml"; then
        echo "$kind,$n,broker-failed,,,,,,,,broker did not start" >> "$out/backlog.csv"
        return
    fi
    rss_watch "$cur_pid" "$pre-fill.rss" & w=$!
    timeout 3600 java -Xmx512m -cp "$CP" hermod.bench.Startup fill --url "tcp://127.0.0.1:$port" --queue bench.backlog \
        --count "$n" --size 1024 --producers 4 --batch 500 --out "$pre-fill.res" > "$pre-fill.txt" 2>&1
    kill $w 2>/dev/null; wait $w 2>/dev/null
    fill_rss=$(kb_mb "$pre-fill.rss")
    fill_rate=$(sed -n 's/^fill_rate=//p' "$pre-fill.res" 2>/dev/null)
    [ "$(sed -n 's/^status=//p' "$pre-fill.res" 2>/dev/null)" = ok ] || { status=fill-failed; detail=$(tail -1 "$pre-fill.txt"); }
    log "  filled at ${fill_rate} msg/s, peak RSS ${fill_rss} MB; stopping gracefully"
    stop_graceful
    store_mb=$(du -sm "$d" | cut -f1)
    if [ "$status" = ok ]; then
        rm -f "$pre.ready"
        timeout 1200 java -Xmx256m -cp "$CP" hermod.bench.Startup probe --url "tcp://127.0.0.1:$port" --queue bench.backlog \
            --ready "$pre.ready" --out "$pre-probe.res" --timeout 900 > "$pre-probe.txt" 2>&1 &
        pp=$!
        for _ in $(seq 1 3000); do [ -f "$pre.ready" ] && break; kill -0 $pp 2>/dev/null || break; sleep 0.02; done
        start_polls=45000 start_broker "$kind" "$port" "$d" keep "$backlog_xml" || { status=broker-failed; detail="broker did not restart"; }
        wait $pp
        if [ "$(sed -n 's/^status=//p' "$pre-probe.res" 2>/dev/null)" = ok ]; then
            first=$(( $(sed -n 's/^first_epoch_ms=//p' "$pre-probe.res") - launch_ms ))
            qsize=$(sed -n 's/^queue_size=//p' "$pre-probe.res")
            [ "$qsize" != "$n" ] && { status=incomplete; detail="the queue holds $qsize of $n messages after the restart"; }
        else
            [ "$status" = ok ] && status=probe-failed
            detail=$(sed -n 's/^error=//p' "$pre-probe.res" 2>/dev/null)
        fi
    fi
    if [ -n "$cur_pid" ]; then
        log "  first message ${first} ms after the launch; queue holds $qsize; draining"
        rss_watch "$cur_pid" "$pre-drain.rss" & w=$!
        timeout 3600 java -Xmx512m -cp "$CP" hermod.bench.Startup drain --url "tcp://127.0.0.1:$port" --queue bench.backlog \
            --count "$n" --timeout 3000 --out "$pre-drain.res" > "$pre-drain.txt" 2>&1
        kill $w 2>/dev/null; wait $w 2>/dev/null
        drain_rss=$(kb_mb "$pre-drain.rss")
        drain_rate=$(sed -n 's/^drain_rate=//p' "$pre-drain.res" 2>/dev/null)
        [ "$(sed -n 's/^status=//p' "$pre-drain.res" 2>/dev/null)" = ok ] || { [ "$status" = ok ] && status=drain-incomplete; detail=$(tail -1 "$pre-drain.txt"); }
        log "  drained at ${drain_rate} msg/s, peak RSS ${drain_rss} MB"
        stop_graceful
    fi
    echo "$kind,$n,$status,$fill_rate,$fill_rss,$store_mb,$first,$qsize,$drain_rate,$drain_rss,$(printf '%s' "$detail" | csv_safe)" >> "$out/backlog.csv"
}

if [[ ",$only," == *",backlog,"* ]]; then
    mkdir -p "$out/run" "$out/logs"
    echo "broker,messages,status,fill_rate,fill_rss_peak_mb,store_mb,first_ms,queue_size,drain_rate,drain_rss_peak_mb,detail" > "$out/backlog.csv"
    run_backlog hermod "$sport_h" "$backlog_count"
    run_backlog activemq "$sport_a" "$backlog_count"
fi

# ---- report
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/^[^:]*: *//')"
    echo "mem=$(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo)"
    echo "hermod=git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), release build (scons variant=release), persistent=\"true\" config, 2 event loops"
    echo "activemq=$(ls /usr/share/java/activemq-broker-*.jar 2>/dev/null | sed 's/.*broker-//; s/\.jar//') (Debian), test/tools/refbroker.sh: KahaDB with journal disk syncs (default), prioritizedMessages, -Xms256M -Xmx512M, OpenJDK $(java -version 2>&1 | awk -F'"' '/version/{print $2}')"
    echo "method=each workload: a fresh broker of each kind (empty data directory), started one after the other on loopback, alternating which goes first; ${warm} s warm-up then ${dur} s measured load (the XA rows: ${xadur} s), then up to ${drain} s to drain; the load tool (one JVM, ActiveMQ 5.17 JMS client, one connection per producer/consumer) runs on the same 2-core machine and competes with the broker for CPU."
    echo "durability=$durability"
    echo "workloads=$wl_meta"
    [ -f "$out/startup.meta" ] && cat "$out/startup.meta"
} > "$out/meta.properties"
java -cp "$CP" hermod.bench.Report "$out/results.csv" "$out/meta.properties" "$out/results.md" "$out/chart.svg" \
    $( [ -f "$out/startup.csv" ] && echo "$out/startup.csv" ) \
    || { log "report failed"; exit 1; }
if [ -f "$out/backlog.csv" ] && [[ ",$only," == *",backlog,"* ]]; then
    {
        echo
        echo "## Deep backlog: $backlog_count persistent 1 KiB messages on one queue, memoryUsage 64 MB"
        echo
        echo "| broker | status | fill msg/s | peak RSS filling (MB) | store (MB) | launch → first message after a restart (ms) | queue size after the restart | drain msg/s | peak RSS draining (MB) |"
        echo "|---|---|---|---|---|---|---|---|---|"
        tail -n +2 "$out/backlog.csv" | awk -F, '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $3, $4, $5, $6, $7, $8, $9, $10}'
        echo
        echo "Fill: 4 producer connections, local transactions of 500. Restart: graceful stop, then the start-up probe (see above) waiting before the launch. Drain: one consumer, auto acknowledge, prefetch 1000. Peak RSS: VmRSS sampled every 0.5 s."
    } >> "$out/results.md"
fi
log "wrote $out/results.md, $out/results.csv, $out/chart.svg"
cat "$out/results.md"
