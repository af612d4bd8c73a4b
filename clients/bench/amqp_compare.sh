#!/usr/bin/env bash
# AMQP 1.0 rows (issue 15): hermod over AMQP against hermod's own OpenWire rows and against
# RabbitMQ 3.10 from Debian with its rabbitmq_amqp1_0 plugin, in one run, on loopback.
#   clients/bench/amqp_compare.sh                       (~6 min on 2 cores)
#   BENCH_DURATION=5 BENCH_WARMUP=1 clients/bench/amqp_compare.sh
#   BENCH_PORT_BASE=62410 ...                           ports BASE..BASE+4 (default 62410)
# Load: clients/bench/amqp/amqp_load.c (C, Proton's proactor) for AMQP; the Java tool of
# compare.sh (ActiveMQ 5.17 JMS client) for the OpenWire rows.  Each row starts a fresh broker;
# CPU is the broker process's utime+stime per 100,000 messages received.  Writes
# build/bench/amqp-results.md; per-run output in build/bench/logs/amqp-*.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/bench
dur=${BENCH_DURATION:-10}
warm=${BENCH_WARMUP:-3}
base=${BENCH_PORT_BASE:-62410}
hport=$base            # hermod AMQP
oport=$((base + 1))    # hermod OpenWire
rport=$((base + 2))    # RabbitMQ (AMQP 0-9-1 and 1.0 on one port)
rdist=$((base + 3))
tck=$(getconf CLK_TCK)
mkdir -p "$out/logs" "$out/run"

log() { echo "amqp_compare: $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 "$2"); do port_open "$1" && return 0; sleep 0.5; done; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

(cd "$root" && scons -Q -j2 variant=release >/dev/null) || { log "release build failed"; exit 1; }
gcc -O2 -Wall -Wextra -Werror -o "$out/amqp_load" "$here/amqp/amqp_load.c" -lqpid-proton || exit 1
CP=$("$here/build.sh") || exit 1

pid=""
start_hermod() {
    local dir=$out/run/amqp-hermod
    rm -rf "$dir"; mkdir -p "$dir"
    cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="amqpbench" dataDirectory="$dir/data" persistent="true">
  <persistenceAdapter><bdb directory="$dir/data/bdb"/></persistenceAdapter>
  <transportConnectors>
    <transportConnector name="amqp" uri="amqp://127.0.0.1:$hport"/>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$oport"/>
  </transportConnectors>
</broker>
XML
    "$root/build/release/hermod" --config "$dir/hermod.xml" > "$dir/hermod.log" 2>&1 &
    pid=$!
    wait_port "$hport" 40
}

start_rabbit() {
    local dir=$out/run/amqp-rabbit
    rm -rf "$dir"; mkdir -p "$dir"
    echo "[rabbitmq_amqp1_0]." > "$dir/enabled_plugins"
    echo "loopback_users = none" > "$dir/rabbitmq.conf"
    RABBITMQ_NODENAME=hermodbench@localhost RABBITMQ_NODE_PORT=$rport RABBITMQ_DIST_PORT=$rdist \
    RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log RABBITMQ_PID_FILE=$dir/pid \
    RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_CONFIG_FILE=$dir/rabbitmq \
        /usr/lib/rabbitmq/bin/rabbitmq-server > "$dir/out.log" 2>&1 &
    wait_port "$rport" 120 || return 1
    sleep 2
    pid=$(cat "$dir/pid" 2>/dev/null)
    [ -n "$pid" ]
}

stop_broker() {
    [ -n "$pid" ] || return
    kill -TERM "$pid" 2>/dev/null
    local i
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
}

# id|label|amqp_load options (address given per broker)|Java tool options (OpenWire row)|consumers
rows=(
  "pq11|persistent queue 1→1 (AMQP: 1000 unsettled)|--durable --window 1000|--queue --persistent --size 1024|1"
  "pq11s|persistent queue 1→1 (AMQP: 1 unsettled: a synchronous send)|--durable --window 1|--queue --persistent --size 1024|1"
  "npq11|non-persistent queue 1→1|--window 1000|--queue --non-persistent --size 1024|1"
  "topic14|topic fan-out 1→4 (each subscriber's copy counts)|--window 1000|--topic --consumers 4 --non-persistent --size 1024|4"
)

results=$out/amqp-results.csv
echo "id,label,broker,rate,p50_ms,p99_ms,cpu_per_100k" > "$results"
record() { echo "$1,$2,$3,$4,$5,$6,$7" >> "$results"; }

# amqp_row TAG BROKER PORT ADDRESS [amqp_load options]: one AMQP row against the running broker
# ($pid), for the row being measured ($id, $label, $aopts, $ncons); stops the broker.
amqp_row() {
    local tag=$1 broker=$2 port=$3 addr=$4 line c0 c1 rate recv cpu
    shift 4
    c0=$(cpu_ticks "$pid")
    # shellcheck disable=SC2086
    line=$(timeout $((warm + dur + 60)) "$out/amqp_load" --url "127.0.0.1:$port" --address "$addr" "$@" \
           --consumers "$ncons" --size 1024 --duration "$dur" --warmup "$warm" $aopts 2> "$out/logs/amqp-$id-$tag.err")
    c1=$(cpu_ticks "$pid")
    stop_broker
    log "$id $broker: $line"
    rate=$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' <<< "$line")
    recv=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' <<< "$line")
    cpu=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v m="$recv" 'BEGIN{ if (m > 0) printf "%.2f", (b-a)/t*100000/m }')
    record "$id" "$label" "$broker" "$rate" "$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<< "$line")" \
           "$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<< "$line")" "$cpu"
}

for row in "${rows[@]}"; do
    IFS='|' read -r id label aopts jopts ncons <<< "$row"
    # hermod over AMQP
    if start_hermod; then
        addr=bench.$id; [ "$ncons" -gt 1 ] && addr=topic://bench.$id
        amqp_row hermod "hermod AMQP" "$hport" "$addr"
    else
        log "$id: hermod did not start"; stop_broker
    fi
    # hermod over OpenWire (the Java tool of compare.sh)
    if [ "$id" != pq11s ] && start_hermod; then
        res=$out/logs/amqp-$id-openwire.properties
        c0=$(cpu_ticks "$pid")
        # shellcheck disable=SC2086
        timeout $((warm + dur + 120)) java -Xmx1g -cp "$CP" hermod.bench.Bench --url "tcp://127.0.0.1:$oport" \
            $jopts --warmup "$warm" --duration "$dur" --drain-timeout 8 --out "$res" > "$out/logs/amqp-$id-openwire.txt" 2>&1
        c1=$(cpu_ticks "$pid")
        stop_broker
        g() { sed -n "s/^$1=//p" "$res"; }
        msgs=$(g broker_messages)
        cpu=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v m="${msgs:-0}" 'BEGIN{ if (m > 0) printf "%.2f", (b-a)/t*100000/m }')
        p50=$(awk -v u="$(g p50_us)" 'BEGIN{ if (u != "") printf "%.2f", u/1000 }')
        p99=$(awk -v u="$(g p99_us)" 'BEGIN{ if (u != "") printf "%.2f", u/1000 }')
        log "$id hermod openwire: $(g recv_rate) msg/s"
        record "$id" "$label" "hermod OpenWire (JMS)" "$(g recv_rate)" "$p50" "$p99" "$cpu"
    else
        stop_broker
    fi
    # RabbitMQ 3.10 over AMQP 1.0
    if start_rabbit; then
        addr=/queue/bench.$id; [ "$ncons" -gt 1 ] && addr=/topic/bench.$id
        amqp_row rabbit "RabbitMQ 3.10 AMQP 1.0" "$rport" "$addr" --user guest --password guest
    else
        log "$id: RabbitMQ did not start (apt-get install rabbitmq-server)"; stop_broker
    fi
done

# the table: per row, each broker's numbers and hermod AMQP's ratios to the others
{
    echo "# AMQP 1.0 rows: hermod vs its own OpenWire rows vs RabbitMQ 3.10"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPU(s), $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo)"
    echo "- hermod: git $(cd "$root" && git rev-parse --short HEAD), release build; RabbitMQ: $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null) (Debian) with rabbitmq_amqp1_0"
    echo "- ${warm} s warm-up, ${dur} s measured; 1 KiB messages; the load client shares the 2 cores with the broker."
    echo "- AMQP load: clients/bench/amqp/amqp_load.c (Proton C); OpenWire load: the Java tool of compare.sh (ActiveMQ 5.17 JMS client; persistent sends are synchronous, one at a time)."
    echo
    echo "| Workload | Broker | msg/s | p50 ms | p99 ms | broker CPU s/100k |"
    echo "|---|---|---:|---:|---:|---:|"
    tail -n +2 "$results" | while IFS=, read -r id label broker rate p50 p99 cpu; do
        echo "| $label | $broker | ${rate:-–} | ${p50:-–} | ${p99:-–} | ${cpu:-–} |"
    done
    echo
    echo "| Workload | hermod AMQP / hermod OpenWire | hermod AMQP / RabbitMQ AMQP 1.0 |"
    echo "|---|---:|---:|"
    for row in "${rows[@]}"; do
        IFS='|' read -r id label _ <<< "$row"
        a=$(awk -F, -v i="$id" '$1==i && $3=="hermod AMQP"{print $4}' "$results")
        o=$(awk -F, -v i="$id" '$1==i && $3 ~ /OpenWire/{print $4}' "$results")
        r=$(awk -F, -v i="$id" '$1==i && $3 ~ /RabbitMQ/{print $4}' "$results")
        [ "$id" = pq11s ] && o=$(awk -F, '$1=="pq11" && $3 ~ /OpenWire/{print $4}' "$results")
        ratio() { awk -v x="$1" -v y="$2" 'BEGIN{ if (x > 0 && y > 0) printf "%.2f×", x/y; else printf "–" }'; }
        echo "| $label | $(ratio "$a" "$o") | $(ratio "$a" "$r") |"
    done
} > "$out/amqp-results.md"
cat "$out/amqp-results.md"
