#!/usr/bin/env bash
# Selector interop suite (issue 3 "Interop"): Java JMS consumers with selectors on queues and
# topics, a selector behind 4,990 non-matching messages, invalid selectors, a durable subscriber
# with a selector.
#   test/interop/selectors_jms/run.sh /abs/path/to/hermod    judge hermod (port 62750)
#   REF=1 test/interop/selectors_jms/run.sh   (or --ref)     same tests against ActiveMQ 5.17
#   IT_ONLY=a,b runs a subset; IT_PORT moves it.
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and
# in build/interop-logs/selectors_jms/. One persistent broker, one JVM.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-62750}
logs=$IT_ROOT/build/interop-logs/selectors_jms
classes=$IT_ROOT/build/interop-classes/selectors_jms
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
jpid=""
reported=0
finish() {
    [ -n "$jpid" ] && kill "$jpid" 2>/dev/null
    it_broker_stop
    if [ $reported = 0 ] && [ -s "$names" ]; then
        it_report "$names" "$results" "suite interrupted"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

srcs=("$here"/java/hermodit/seljms/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: selectors_jms_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.seljms.SelectorsJmsSuite --list > "$names"

# Persistent, so that the durable subscriber and the 5,000-message queue behave as in production.
if ! IT_PERSISTENT=1 it_broker_start "$port" "$IT_ROOT/build/interop-run/selectors_jms"; then
    it_report "$names" /dev/null "broker did not start"
    reported=1
    exit 1
fi
timeout 240 java -Xmx384m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.ref=$IT_REF \
    hermodit.seljms.SelectorsJmsSuite ${IT_ONLY:+--only "$IT_ONLY"} > "$results" 2> "$logs/details.log" &
jpid=$!
wait "$jpid"
rc=$?
jpid=""
cat "$logs/details.log" >&2
[ $rc = 124 ] && echo "suite JVM killed after 240 s" >&2
if ! it_broker_alive; then
    echo "broker died during the suite" >&2
fi
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
reported=1
it_report "$names" "$results" "no verdict (JVM exit $rc)"
