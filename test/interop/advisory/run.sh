#!/usr/bin/env bash
# Advisory interop suite (issue 6): ActiveMQ's advisory topics watched through the real ActiveMQ
# JMS client, against hermod or (REF=1 / --ref) the reference ActiveMQ 5.17.
#   test/interop/advisory/run.sh /abs/path/to/hermod
#   REF=1 test/interop/advisory/run.sh
# One "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr and in
# build/interop-logs/advisory/.  One broker, one JVM, port 61000 (IT_PORT overrides).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-61000}
logs=$IT_ROOT/build/interop-logs/advisory
classes=$IT_ROOT/build/interop-classes/advisory
run=$IT_ROOT/build/interop-run/advisory
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

# The optional advisories the suite judges, the same policy for both brokers: slow consumers on
# adv.slow.>, consumed messages on queues adv.consumed.>, messages nobody receives on adv.nocons.>.
slow_policy='<policyEntry queue="adv.slow.>" advisoryForSlowConsumers="true"/><policyEntry topic="adv.slow.>" advisoryForSlowConsumers="true"/>'
slow_policy+='<policyEntry queue="adv.consumed.>" advisoryForConsumed="true"/>'
slow_policy+='<policyEntry topic="adv.nocons.>" sendAdvisoryIfNoConsumers="true"/><policyEntry queue="adv.nocons.>" sendAdvisoryIfNoConsumers="true"/>'

srcs=("$here"/java/hermodit/advisory/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: advisory_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.advisory.AdvisorySuite --list > "$names"

# Why not it_broker_start for the reference: its configuration already has a <destinationPolicy>,
# so the policy entry goes into that one (a copy of refbroker.sh with the entry added).
start_ref() {
    rm -rf "$run"; mkdir -p "$run"
    IT_BROKER_KIND=ref
    IT_BROKER_DIR=$(cd "$run" && pwd)
    sed "s|<policyEntry queue=\">\" prioritizedMessages=\"true\"/>|&$slow_policy|" \
        "$IT_ROOT/test/tools/refbroker.sh" > "$IT_BROKER_DIR/refbroker.sh"
    grep -q advisoryForSlowConsumers "$IT_BROKER_DIR/refbroker.sh" || { echo "reference policy not set" >&2; return 1; }
    it_state_save "$port" 104857600
    bash "$IT_BROKER_DIR/refbroker.sh" start "$port" "$IT_BROKER_DIR/ref" "" >&2
}

if [ "$IT_REF" = 1 ]; then
    if it_port_open "$port"; then
        echo "port $port is already in use" >&2
        started=1
    else
        start_ref; started=$?
    fi
else
    IT_BROKER_XML="<destinationPolicy><policyMap><policyEntries>$slow_policy</policyEntries></policyMap></destinationPolicy>" \
    IT_PERSISTENT=1 it_broker_start "$port" "$run"; started=$?
fi
if [ $started != 0 ]; then
    it_report "$names" /dev/null "broker did not start"
    reported=1
    exit 1
fi
[ "$IT_REF" = 1 ] && bname=ref || bname=itest
timeout 250 java -Xmx256m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.brokerName=$bname -Dit.ref=$IT_REF \
    hermodit.advisory.AdvisorySuite ${IT_ONLY:+--only "$IT_ONLY"} > "$results" 2> "$logs/details.log" &
jpid=$!
wait "$jpid"
rc=$?
jpid=""
cat "$logs/details.log" >&2
[ $rc = 124 ] && echo "suite JVM killed after 250 s" >&2
it_broker_alive || echo "broker died during the suite" >&2
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
reported=1
it_report "$names" "$results" "no verdict (JVM exit $rc)"
