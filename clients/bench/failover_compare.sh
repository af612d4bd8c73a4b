#!/usr/bin/env bash
# Take-over time of the primary/replica pair, hermod against ActiveMQ 5.17 (issue 16):
#   clients/bench/failover_compare.sh                 empty store and 1,000,000 stored messages
#   BENCH_FO_COUNT=200000 clients/bench/failover_compare.sh      another depth for the deep row
#   BENCH_FO_KINDS=hermod clients/bench/failover_compare.sh      one broker only
#   BENCH_FO_SETTLE=0 clients/bench/failover_compare.sh          kill right after the fill (default:
#                     10 s later, past a checkpoint, so the row shows the depth, not the journal
#                     written in the last seconds, which recovery replays on both brokers)
# Each run: a fresh pair (test/interop/failover/pairctl.sh: hermod a+b on one Berkeley DB store
# with a lease file, lease 2000 ms renewed every 500 ms; or two ActiveMQ brokers on one KahaDB
# directory with a shared-file-locker polled every 2000 ms), the primary filled with N persistent
# 150-byte messages (1 for the "empty" row, so there is a first message to receive), a probe JVM
# waiting on the standby's port, then kill -9 of the primary.  Times from the kill: the standby
# takes the lease (hermod's log), its port accepts, a JMS connection, the first message received;
# the queue's size is asked afterwards (statistics plugin), so a take-over that lost messages
# cannot look fast.  Writes build/bench/failover.{md,csv}; ports BENCH_FO_PORT (63290) and +1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${BENCH_FO_OUT:-$root/build/bench/failover}
count=${BENCH_FO_COUNT:-1000000}
kinds=${BENCH_FO_KINDS:-hermod activemq}
port=${BENCH_FO_PORT:-63290}
settle=${BENCH_FO_SETTLE:-10}
ctl=$root/test/interop/failover/pairctl.sh
log() { echo "failover_compare: $*" >&2; }
now_ms() { date +%s%3N; }
iso_ms() { date -u -d "$1" +%s%3N 2>/dev/null; }

(cd "$root" && scons -Q -j2 variant=release >&2) || { log "build failed"; exit 1; }
CP=$("$here/build.sh") || exit 1
mkdir -p "$out"
csv=$out/failover.csv
echo "broker,stored,fill_rate,kill_to_lease_ms,kill_to_listen_ms,kill_to_connect_ms,kill_to_first_ms,queue_size,status" > "$csv"

one() { # KIND N
    local kind=$1 n=$2 run=$out/$1-$2 ref=0 status=ok
    [ "$kind" = activemq ] && ref=1
    rm -rf "$run"; mkdir -p "$run"
    cat > "$run/pair.env" <<ENV
IT_REF=$ref
HERMOD=$root/build/release/hermod
PORT_A=$port
PORT_B=$((port + 1))
LEASE_MS=2000
KEEPALIVE_MS=500
PAIR_XML='<plugins><statisticsBrokerPlugin/></plugins>'
ENV
    log "$kind, $n stored: starting the pair"
    bash "$ctl" "$run" fresh || { log "pair did not start"; return 1; }
    local t0 fill_rate
    t0=$(now_ms)
    timeout 3000 java -Xmx512m -cp "$CP" hermod.bench.Startup fill --url "tcp://127.0.0.1:$port" --queue bench.fo \
        --count "$n" --size 150 --producers 4 --batch 500 --out "$run/fill.res" > "$run/fill.txt" 2>&1
    fill_rate=$(sed -n 's/^fill_rate=//p' "$run/fill.res" 2>/dev/null)
    log "  filled in $(( $(now_ms) - t0 )) ms ($fill_rate msg/s); probe waits on the standby's port"
    rm -f "$run/ready"
    timeout 900 java -Xmx256m -cp "$CP" hermod.bench.Startup probe --url "tcp://127.0.0.1:$((port + 1))" \
        --queue bench.fo --ready "$run/ready" --out "$run/probe.res" --timeout 600 > "$run/probe.txt" 2>&1 &
    local pp=$! i
    for i in $(seq 1 3000); do [ -f "$run/ready" ] && break; sleep 0.02; done
    sleep "$settle"
    local kill_ms
    kill_ms=$(now_ms)
    bash "$ctl" "$run" kill9 a
    wait $pp
    local listen="" connect="" first="" lease="" qsize="" line
    if [ "$(sed -n 's/^status=//p' "$run/probe.res" 2>/dev/null)" = ok ]; then
        listen=$(( $(sed -n 's/^listen_epoch_ms=//p' "$run/probe.res") - kill_ms ))
        connect=$(( $(sed -n 's/^connect_epoch_ms=//p' "$run/probe.res") - kill_ms ))
        first=$(( $(sed -n 's/^first_epoch_ms=//p' "$run/probe.res") - kill_ms ))
        qsize=$(sed -n 's/^queue_size=//p' "$run/probe.res")
        [ "$qsize" != "$n" ] && status="incomplete ($qsize of $n)"
    else
        status="probe failed: $(sed -n 's/^error=//p' "$run/probe.res" 2>/dev/null)"
    fi
    if [ "$kind" = hermod ]; then
        line=$(grep -m1 'lease: taken with epoch 2' "$run/b/broker.log")
        [ -n "$line" ] && lease=$(( $(iso_ms "${line%% *}") - kill_ms ))
    fi
    log "  lease ${lease:-–} ms, listening ${listen} ms, connected ${connect} ms, first message ${first} ms after kill -9; queue $qsize; $status"
    echo "$kind,$n,$fill_rate,$lease,$listen,$connect,$first,$qsize,$status" >> "$csv"
    bash "$ctl" "$run" stopall
}

for n in 1 "$count"; do
    for k in $kinds; do one "$k" "$n"; done
done
{
    echo "Take-over after kill -9 of the primary, $(date -u '+%Y-%m-%d %H:%M UTC') (git $(git -C "$root" rev-parse --short HEAD)), $(nproc) cores, kill ${settle} s after the fill"
    echo
    echo "| broker | stored messages | kill → lease taken ms | kill → port open ms | kill → JMS connection ms | kill → first message ms | queue after |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    tail -n +2 "$csv" | while IFS=, read -r b n fr lease listen connect first q st; do
        echo "| $b | $n | ${lease:-–} | $listen | $connect | $first | $q${st:+ }$( [ "$st" = ok ] || echo "$st") |"
    done
} > "$out/failover.md"
cat "$out/failover.md"
