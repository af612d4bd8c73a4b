#!/usr/bin/env bash
# Hostile-input suite (issue 2): malformed OpenWire closes that one connection, the broker stays
# up, other clients are unaffected.
#   test/interop/hostile/run.sh /abs/path/to/hermod      judge hermod
#   REF=1 test/interop/hostile/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# The broker gets wireFormat.maxFrameSize=1 MiB. One PASS/FAIL line per test on stdout; details
# on stderr and in build/interop-logs/hostile/. Port 62010.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-62010}  # IT_PORT overrides, e.g. to run two copies side by side
maxframe=1048576
logs=$IT_ROOT/build/interop-logs/hostile
classes=$IT_ROOT/build/interop-classes/hostile
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

srcs=("$here"/java/hermodit/hostile/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: hostile_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.hostile.HostileSuite --list > "$names"

if ! it_broker_start "$port" "$IT_ROOT/build/interop-run/hostile" "$maxframe"; then
    it_report "$names" /dev/null "broker did not start"
    reported=1
    exit 1
fi
timeout 55 java -Xmx256m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.maxFrame=$maxframe -Dit.ref=$IT_REF \
    hermodit.hostile.HostileSuite ${IT_ONLY:+--only "$IT_ONLY"} > "$results" 2> "$logs/details.log" &
jpid=$!
wait "$jpid"
rc=$?
jpid=""
cat "$logs/details.log" >&2
[ $rc = 124 ] && echo "suite JVM killed after 55 s" >&2
if ! it_broker_alive; then
    # The broker must survive every attack: a dead broker fails the whole suite.
    echo "broker is no longer running after the attacks" >&2
    sed -i 's/^PASS: /FAIL: /' "$results"
fi
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
reported=1
it_report "$names" "$results" "no verdict (JVM exit $rc)"
