#!/usr/bin/env bash
# The primary/replica pair (issue 16) through the real ActiveMQ JMS client on a failover:(...)
# URL: two hermod brokers on one store directory with a lease file (lease 2 s, renewed every
# 500 ms); pairctl.sh crashes, pauses, stops and restarts them between the Java suite's steps.
#   test/interop/failover/run.sh /abs/path/to/hermod     judge hermod
#   REF=1 test/interop/failover/run.sh  (or --ref)       two ActiveMQ 5.17 brokers on one KahaDB
#                                                         directory with a shared-file-locker
#   IT_PORT (default 63200; b is IT_PORT+1), SOAK=N failovers in the soak (default 20),
#   IT_ONLY=a,b runs a subset.
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and in
# build/interop-logs/failover/ (each broker's log in build/interop-run/failover/{a,b}/broker.log).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((63200 + ${IT_PORT_SHIFT:-0}))}
soak=${SOAK:-20}
# the reference run has directories of its own, so it can run beside hermod's (other ports)
sfx=""; [ "$IT_REF" = 1 ] && sfx=-ref
logs=$IT_ROOT/build/interop-logs/failover$sfx
classes=$IT_ROOT/build/interop-classes/failover$sfx
run=$IT_ROOT/build/interop-run/failover$sfx
lease_ms=2000
keepalive_ms=500
# ActiveMQ's slave retries its file lock every lockAcquireSleepInterval
[ "$IT_REF" = 1 ] && lease_ms=1000
mkdir -p "$logs"
rm -rf "$run"; mkdir -p "$run"
: > "$logs/details.log"
cat > "$run/pair.env" <<ENV
IT_REF=$IT_REF
HERMOD=${IT_HERMOD:-}
PORT_A=$port
PORT_B=$((port + 1))
LEASE_MS=$lease_ms
KEEPALIVE_MS=$keepalive_ms
ENV
for p in "$port" $((port + 1)); do
    if it_port_open "$p"; then
        echo "port $p is already in use" >&2
        echo "FAIL: failover_ports_free"
        exit 1
    fi
done
trap 'bash "$here/pairctl.sh" "$run" stopall' EXIT
trap 'exit 130' INT TERM

# the Kubernetes manifest of the pair, without a cluster (hermod only: it checks hermod's config)
if [ "$IT_REF" != 1 ] && { [ -z "${IT_ONLY:-}" ] || [[ ",$IT_ONLY," == *",k8s_manifest_consistent,"* ]]; }; then
    if /usr/bin/python3 "$here/k8s_check.py" "$IT_ROOT/dist/k8s/hermod-pair.yaml" "$IT_HERMOD" 2>> "$logs/details.log"; then
        echo "PASS: k8s_manifest_consistent"
    else
        echo "FAIL: k8s_manifest_consistent"
    fi
    if [ -n "${IT_ONLY:-}" ]; then
        IT_ONLY=$(tr ',' '\n' <<< "$IT_ONLY" | grep -v -x k8s_manifest_consistent | paste -sd, -)
        [ -z "$IT_ONLY" ] && exit 0
    fi
fi

srcs=("$here"/java/hermodit/failover/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: failover_suite_compiles"
    exit 1
fi
names=$logs/names.txt
java -cp "$classes:$IT_CP" -Dit.ref=$IT_REF -Dit.portA=$port -Dit.portB=$((port + 1)) -Dit.leaseMs=$lease_ms \
    hermodit.failover.FailoverSuite --list > "$names"
only=()
if [ -n "${IT_ONLY:-}" ]; then
    only=(--only "$IT_ONLY")
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
timeout $((600 + soak * 25)) java -Xmx384m -XX:+UseSerialGC -cp "$classes:$IT_CP" \
    -Dit.run="$run" -Dit.ctl="$here/pairctl.sh" -Dit.ref=$IT_REF -Dit.portA=$port \
    -Dit.portB=$((port + 1)) -Dit.leaseMs=$lease_ms -Dit.soak=$soak \
    hermodit.failover.FailoverSuite "${only[@]}" > "$logs/results.txt" 2>> "$logs/details.log"
cat "$logs/details.log" >&2
it_report "$names" "$logs/results.txt" "suite interrupted"
