#!/usr/bin/env bash
# Fault suite (issue 4): a REAL full disk under a persistent broker, through the real ActiveMQ
# JMS client.  The broker runs in a private mount namespace (unshare -m; root or user namespaces
# needed) whose data directory is a small tmpfs, with a store limit (storeUsage) far larger than
# what is free there, so persistent sends fill the disk itself.  Once the broker runs, a ballast
# file takes all but FAULTS_FREE_MB of the tmpfs (a disk shared with something else filling up;
# ActiveMQ 5.17 checks the limit against the free space only at start-up: see README).
#   test/interop/faults/run.sh /abs/path/to/hermod     judge hermod (Berkeley DB store)
#   REF=1 test/interop/faults/run.sh   (or --ref)      the same against ActiveMQ 5.17 (KahaDB)
#   IT_PORT (default 62600), FAULTS_FS_MB (tmpfs size, default 96), FAULTS_FREE_MB (left free
#   by the ballast, default 6); IT_ONLY is not supported
#   (the phases depend on each other).
# Phases, one JVM each (state passed through files): 1. fill the disk, check the broker still
# serves and everything confirmed is there; run.sh deletes a ballast file on the tmpfs;
# 2. sends resume, consume some; run.sh restarts the broker (SIGTERM) on the same data;
# 3. everything confirmed and not consumed is there exactly once; (hermod) `hermod store verify`.
# Prints one "PASS: <name>" / "FAIL: <name>" per test; when the machine cannot make a private
# mount (no unshare, not permitted) it prints a "SKIP:" line on stderr and no verdicts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62600 + ${IT_PORT_SHIFT:-0}))}
fs_mb=${FAULTS_FS_MB:-96}
free_mb=${FAULTS_FREE_MB:-6}
logs=$IT_ROOT/build/interop-logs/faults
classes=$IT_ROOT/build/interop-classes/faults
run=$IT_ROOT/build/interop-run/faults
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
: > "$logs/details.log"
: > "$logs/hermod.log"
holder=""
bpid=""
reported=0

if [ "$IT_REF" = 1 ]; then
    mnt=$run/ref/data          # refbroker.sh's dataDirectory: KahaDB and the scheduler store
else
    mnt=$run/disk
fi

ns() { nsenter -t "$holder" -m -- "$@"; }

stop_broker() {
    [ -n "$holder" ] || return 0
    if [ "$IT_REF" = 1 ]; then
        ns bash "$run/refbroker.sh" stop "$run/ref" >&2 2>/dev/null || true
        return 0
    fi
    [ -n "$bpid" ] || return 0
    kill -TERM "$bpid" 2>/dev/null
    local i
    for i in $(seq 1 100); do
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$bpid" 2>/dev/null; then
        echo "hermod did not stop on SIGTERM within 10 s; killing it" >> "$logs/details.log"
        kill -KILL "$bpid" 2>/dev/null
    fi
    wait "$bpid" 2>/dev/null
    bpid=""
}

# kill_broker: SIGKILL (a crash), waits until the process and its port are gone.
kill_broker() {
    local pid=$bpid i
    [ "$IT_REF" = 1 ] && pid=$(cat "$run/ref/broker.pid" 2>/dev/null)
    [ -n "$pid" ] || return 0
    kill -KILL "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ "$IT_REF" = 1 ] || wait "$pid" 2>/dev/null
    bpid=""
    for i in $(seq 1 50); do
        it_port_open "$port" || break
        sleep 0.1
    done
}

finish() {
    stop_broker
    if [ -n "$holder" ]; then
        kill "$holder" 2>/dev/null          # the last process of the namespace: the tmpfs goes
        wait "$holder" 2>/dev/null
    fi
    if [ $reported = 0 ] && [ -s "$names" ]; then
        it_report "$names" "$results" "suite interrupted"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

broker_alive() {
    if [ "$IT_REF" = 1 ]; then
        kill -0 "$(cat "$run/ref/broker.pid" 2>/dev/null)" 2>/dev/null
    else
        [ -n "$bpid" ] && kill -0 "$bpid" 2>/dev/null
    fi
}

start_broker() {
    if it_port_open "$port"; then
        echo "port $port is already in use" >> "$logs/details.log"
        return 1
    fi
    if [ "$IT_REF" = 1 ]; then
        # 5.17 lowers a store limit larger than the free space to that space at start-up (with
        # adjustUsageLimits="false" it refuses to start): the ballast comes after the start.
        cp "$IT_ROOT/test/tools/refbroker.sh" "$run/refbroker.sh"
        ns bash "$run/refbroker.sh" start "$port" "$run/ref" \
            '<systemUsage><systemUsage><storeUsage><storeUsage limit="1 gb"/></storeUsage></systemUsage></systemUsage>' \
            >> "$logs/details.log" 2>&1
        return
    fi
    cat > "$run/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="faults" dataDirectory="$mnt" persistent="true">
  <persistenceAdapter><bdb directory="$mnt/bdb" logFileSize="1mb"/></persistenceAdapter>
  <systemUsage><systemUsage><storeUsage><storeUsage limit="1 gb"/></storeUsage></systemUsage></systemUsage>
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/>
  </transportConnectors>
</broker>
XML
    # the log stays off the full disk
    nsenter -t "$holder" -m -- "$IT_HERMOD" --config "$run/hermod.xml" 2>> "$logs/hermod.log" < /dev/null > /dev/null &
    bpid=$!
    local i
    for i in $(seq 1 200); do
        it_port_open "$port" && return 0
        if ! kill -0 "$bpid" 2>/dev/null; then
            echo "hermod exited before opening port $port:" >> "$logs/details.log"
            tail -20 "$logs/hermod.log" >> "$logs/details.log"
            bpid=""
            return 1
        fi
        sleep 0.1
    done
    echo "hermod did not open port $port within 20 s" >> "$logs/details.log"
    return 1
}

# phase TESTS [LIMIT]: those tests in one JVM, verdicts appended to $results.
phase() {
    timeout "${2:-300}" java -Xmx256m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port \
        -Dit.ref=$IT_REF -Dit.state="$run/state" hermodit.faults.FaultsSuite --only "$1" \
        >> "$results" 2>> "$logs/details.log"
    if ! broker_alive; then
        echo "the broker is not running after: $1" >> "$logs/details.log"
        tail -30 "$logs/hermod.log" >> "$logs/details.log" 2>/dev/null
        # a broker that died cannot have passed: its verdicts become FAIL
        for t in ${1//,/ }; do sed -i "s/^PASS: $t\$/FAIL: $t/" "$results"; done
        return 1
    fi
    return 0
}

# ---- can this machine give us a private mount? ----
if ! command -v unshare > /dev/null || ! command -v nsenter > /dev/null; then
    echo "SKIP: faults: unshare/nsenter not installed (util-linux); no full-disk tests ran" >&2
    exit 0
fi
ns_root=""
[ "$(id -u)" != 0 ] && ns_root="-r"     # an unprivileged user maps itself to root in a user namespace
rm -rf "$run"
mkdir -p "$mnt" "$run/state"
unshare -m $ns_root --propagation private sh -c \
    'mount -t tmpfs -o size="$1"m tmpfs "$2" && echo ok > "$3" && exec sleep 3600' \
    sh "$fs_mb" "$mnt" "$run/mounted" 2>> "$logs/details.log" &
holder=$!
for _ in $(seq 1 50); do
    [ -s "$run/mounted" ] && break
    kill -0 "$holder" 2>/dev/null || break
    sleep 0.1
done
if [ ! -s "$run/mounted" ]; then
    echo "SKIP: faults: cannot mount a private tmpfs here ($(tail -1 "$logs/details.log")); no full-disk tests ran" >&2
    holder=""
    exit 0
fi

srcs=("$here"/java/hermodit/faults/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: faults_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.faults.FaultsSuite --list > "$names"
# hermod's own offline check of the store; KahaDB has no such tool
[ "$IT_REF" = 1 ] || echo store_verify_clean >> "$names"

# fill_disk: a ballast file takes all but $free_mb MB of the tmpfs.
fill_disk() {
    local avail
    avail=$(ns df -k --output=avail "$mnt" | tail -1)
    ns fallocate -l $(( (avail - free_mb * 1024) * 1024 )) "$mnt/ballast"
    echo "---- disk filled by a ballast (${free_mb} MB left):" >> "$logs/details.log"
    ns df -k "$mnt" >> "$logs/details.log"
}

# free_disk: an administrator frees space on the same disk.
free_disk() {
    ns rm -f "$mnt/ballast"
    echo "---- ballast removed:" >> "$logs/details.log"
    ns df -k "$mnt" >> "$logs/details.log"
}

if start_broker; then
    fill_disk
    phase disk_full_send_fails,disk_full_broker_serves,disk_full_confirmed_browsable,disk_full_consumers_work
    free_disk
    broker_alive && phase space_freed_sends_resume
    # full a second time, then a crash and a start on the still-full disk: recovery must cope
    fill_disk
    broker_alive && phase disk_full_again_send_fails
    kill_broker
    if start_broker; then
        phase crash_while_full_recovers
    else
        echo "the broker did not start again after kill -9 on the full disk" >> "$logs/details.log"
    fi
    free_disk
    stop_broker
    if start_broker; then
        phase restart_all_confirmed_once
        stop_broker
    else
        echo "the broker did not start again on the same data" >> "$logs/details.log"
    fi
    if [ "$IT_REF" != 1 ]; then
        if ns "$IT_HERMOD" store verify "$mnt/bdb" >> "$logs/details.log" 2>&1; then
            echo "PASS: store_verify_clean" >> "$results"
        else
            echo "FAIL: store_verify_clean" >> "$results"
        fi
    fi
else
    echo "broker did not start with its data on the tmpfs" >> "$logs/details.log"
fi
cat "$logs/details.log" >&2
reported=1
it_report "$names" "$results" "no verdict"
