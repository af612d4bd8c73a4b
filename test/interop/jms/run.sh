#!/usr/bin/env bash
# JMS interop suite (issue 2): the real ActiveMQ JMS client against hermod.
#   test/interop/jms/run.sh /abs/path/to/hermod      judge hermod
#   REF=1 test/interop/jms/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# Prints exactly one "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr
# and in build/interop-logs/jms/. All tests run in one JVM against one broker (port 62000).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-62000}  # IT_PORT overrides, e.g. to run two copies side by side
logs=$IT_ROOT/build/interop-logs/jms
classes=$IT_ROOT/build/interop-classes/jms
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
jpid=""
reported=0
# On any exit: stop the JVM and the broker; if the suite was cut short, still give every test a line.
finish() {
    [ -n "$jpid" ] && kill "$jpid" 2>/dev/null
    it_broker_stop
    if [ $reported = 0 ] && [ -s "$names" ]; then
        it_report "$names" "$results" "suite interrupted"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

srcs=("$here"/java/hermodit/jms/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    # Without the classes the names cannot be listed; report the suite itself as failed.
    echo "FAIL: jms_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.jms.JmsSuite --list > "$names"

if ! it_broker_start "$port" "$IT_ROOT/build/interop-run/jms"; then
    it_report "$names" /dev/null "broker did not start"
    reported=1
    exit 1
fi
[ "$IT_REF" = 1 ] && bname=ref || bname=itest
timeout 280 java -Xmx384m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.brokerName=$bname -Dit.ref=$IT_REF \
    hermodit.jms.JmsSuite ${IT_ONLY:+--only "$IT_ONLY"} > "$results" 2> "$logs/details.log" &
jpid=$!
wait "$jpid"
rc=$?
jpid=""
cat "$logs/details.log" >&2
[ $rc = 124 ] && echo "suite JVM killed after 280 s" >&2
if ! it_broker_alive; then
    echo "broker died during the suite" >&2
fi
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
reported=1
it_report "$names" "$results" "no verdict (JVM exit $rc)"
