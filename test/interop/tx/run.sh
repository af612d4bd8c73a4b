#!/usr/bin/env bash
# Transactions interop suite (issue 5): local JMS transactions, XA (ActiveMQXAConnectionFactory),
# XA recovery across kill -9, a small transaction manager with crashes injected, dead letters.
#   test/interop/tx/run.sh /abs/path/to/hermod      judge hermod (persistent, Berkeley DB store)
#   REF=1 test/interop/tx/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# Prints exactly one "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr
# and in build/interop-logs/tx/. One broker (port 62800, proxy 62801), one JVM. The JVM asks this
# script to kill -9 and restart the broker through a pair of FIFOs ("crash" -> "ok"/"fail").
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-62800}  # IT_PORT overrides (the proxy uses IT_PORT+1)
logs=$IT_ROOT/build/interop-logs/tx
classes=$IT_ROOT/build/interop-classes/tx
ctl=$IT_ROOT/build/interop-run/tx-ctl
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
jpid=""
reported=0
finish() {
    [ -n "$jpid" ] && kill "$jpid" 2>/dev/null
    it_broker_stop
    exec 3<&- 4<&- 2>/dev/null
    rm -rf "$ctl"
    if [ $reported = 0 ] && [ -s "$names" ]; then
        it_report "$names" "$results" "suite interrupted"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

srcs=("$here"/java/hermodit/tx/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: tx_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.tx.TxSuite --list > "$names"

# Shared dead letters go to ActiveMQ.DLQ (the default); queues under TX.IDLQ. get their own
# DLQ.<queue> (individualDeadLetterStrategy).
policy='<destinationPolicy><policyMap><policyEntries>
      <policyEntry queue="TX.IDLQ.>"><deadLetterStrategy><individualDeadLetterStrategy queuePrefix="DLQ." useQueueForQueueMessages="true"/></deadLetterStrategy></policyEntry>
    </policyEntries></policyMap></destinationPolicy>'
if ! it_broker_start_persistent "$port" "$IT_ROOT/build/interop-run/tx" "$policy"; then
    it_report "$names" /dev/null "broker did not start"
    reported=1
    exit 1
fi

rm -rf "$ctl"; mkdir -p "$ctl"
mkfifo "$ctl/req" "$ctl/resp"
exec 3<> "$ctl/req" 4<> "$ctl/resp"   # read-write: neither side ever blocks on open
timeout 300 java -Xmx384m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.proxyPort=$((port + 1)) \
    -Dit.ref=$IT_REF ${IT_JAVA_OPTS:-} -Dit.ctlReq="$ctl/req" -Dit.ctlResp="$ctl/resp" \
    hermodit.tx.TxSuite ${IT_ONLY:+--only "$IT_ONLY"} > "$results" 2> "$logs/details.log" &
jpid=$!
while kill -0 "$jpid" 2>/dev/null; do
    if read -r -t 1 -u 3 cmd; then
        case "$cmd" in
            crash)
                if it_broker_crash_restart; then echo ok >&4; else echo fail >&4; fi ;;
            *) echo "unknown request $cmd" >&2; echo fail >&4 ;;
        esac
    fi
done
wait "$jpid"
rc=$?
jpid=""
cat "$logs/details.log" >&2
[ $rc = 124 ] && echo "suite JVM killed after 300 s" >&2
if ! it_broker_alive; then
    echo "broker died during the suite" >&2
fi
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
reported=1
it_report "$names" "$results" "no verdict (JVM exit $rc)"
