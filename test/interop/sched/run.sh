#!/usr/bin/env bash
# Scheduled delivery suite (issue 6): AMQ_SCHEDULED_* through the real ActiveMQ JMS client.
#   test/interop/sched/run.sh /abs/path/to/hermod     judge hermod
#   REF=1 test/interop/sched/run.sh   (or --ref)      same tests against the reference ActiveMQ 5.17
# Prints one "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr and in
# build/interop-logs/sched/.  Phases (port 62900, IT_PORT overrides):
#   1. schedulerSupport on, persistent store: timing, repeat, invalid schedules, and a persistent
#      message delayed 8 s is sent; the broker is then killed with SIGKILL while it is pending;
#   2. the same broker directory restarted: the message arrives, once, not early;
#   3. schedulerSupport off: the properties are ignored.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62900 + ${IT_PORT_SHIFT:-0}))}
logs=$IT_ROOT/build/interop-logs/sched
classes=$IT_ROOT/build/interop-classes/sched
run=$IT_ROOT/build/interop-run/sched
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
: > "$logs/details.log"
bpid=""
reported=0

finish() {
    stop_broker TERM
    if [ $reported = 0 ] && [ -s "$names" ]; then
        it_report "$names" "$results" "suite interrupted"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# start_broker on|off: hermod or the reference on $port with its data in $run (kept across calls).
start_broker() {
    local sched=$1 flag=true
    [ "$sched" = off ] && flag=false
    if it_port_open "$port"; then
        echo "port $port is already in use" >&2
        return 1
    fi
    mkdir -p "$run"
    if [ "$IT_REF" = 1 ]; then
        sed "s/schedulerSupport=\"true\"/schedulerSupport=\"$flag\"/" "$IT_ROOT/test/tools/refbroker.sh" > "$run/refbroker.sh"
        bash "$run/refbroker.sh" start "$port" "$run/ref" >&2 || return 1
        bpid=$(cat "$run/ref/broker.pid")
        return 0
    fi
    mkdir -p "$run/data"
    cat > "$run/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="itest" dataDirectory="$run/data" schedulerSupport="$flag">
  <persistenceAdapter><bdb directory="$run/data/bdb" syncPolicy="always"/></persistenceAdapter>
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/>
  </transportConnectors>
</broker>
XML
    "$IT_HERMOD" --config "$run/hermod.xml" 2>> "$logs/hermod.log" &
    bpid=$!
    local i
    for i in $(seq 1 100); do
        it_port_open "$port" && return 0
        if ! kill -0 "$bpid" 2>/dev/null; then
            echo "hermod exited before opening port $port:" >&2
            tail -20 "$logs/hermod.log" >&2
            bpid=""
            return 1
        fi
        sleep 0.1
    done
    echo "hermod did not open port $port within 10 s" >&2
    return 1
}

# stop_broker TERM|KILL
stop_broker() {
    [ -n "$bpid" ] || return 0
    kill -"$1" "$bpid" 2>/dev/null
    local i
    for i in $(seq 1 80); do
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$bpid" 2>/dev/null
    wait "$bpid" 2>/dev/null
    bpid=""
    # the port must be free before the next start
    for i in $(seq 1 50); do
        it_port_open "$port" || break
        sleep 0.1
    done
}

# phase TESTS: runs those tests in one JVM, appending verdicts to $results.
phase() {
    timeout 120 java -Xmx256m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port \
        -Dit.state="$run/state" hermodit.sched.SchedSuite --only "$1" >> "$results" 2>> "$logs/details.log"
}

srcs=("$here"/java/hermodit/sched/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: sched_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.sched.SchedSuite --list | grep -v '^persist_send$' > "$names"
rm -rf "$run"

if start_broker on; then
    phase "${IT_PHASE1:-delay_respected,delayed_order,period_repeat_copies,period_without_delay,invalid_schedule_refused,transacted_delay_from_commit,xa_delay_from_commit,management_remove,management_browse,persist_send}"
    stop_broker KILL
    if grep -q '^PASS: persist_send$' "$results" && start_broker on; then
        phase persistent_delay_survives_kill9
    else
        echo "persistent_delay_survives_kill9: the send or the restart failed" >&2
    fi
    stop_broker TERM
else
    echo "broker did not start (scheduler on)" >&2
fi
rm -rf "$run"
if start_broker off; then
    phase scheduler_off_ignored
    stop_broker TERM
fi
cat "$logs/details.log" >&2
reported=1
it_report "$names" "$results" "no verdict"
