#!/usr/bin/env bash
# Flow control and limits interop suite (issue 6): the real ActiveMQ JMS client against hermod.
#   test/interop/flow/run.sh /abs/path/to/hermod      judge hermod
#   REF=1 test/interop/flow/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# Prints exactly one "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr
# and in build/interop-logs/flow/. Three phases, each with its own broker configuration
# (port 61100 unless IT_PORT): block, fail (sendFailIfNoSpace), timeout
# (sendFailIfNoSpaceAfterTimeout), system (<memoryUsage>).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((61100 + ${IT_PORT_SHIFT:-0}))}
logs=$IT_ROOT/build/interop-logs/flow
classes=$IT_ROOT/build/interop-classes/flow
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
: > "$logs/details.log"
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

srcs=("$here"/java/hermodit/flow/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: flow_suite_compiles"
    exit 1
fi
phases="block fail timeout system"
: > "$names"
for ph in $phases; do
    java -Dit.phase=$ph -cp "$classes:$IT_CP" hermodit.flow.FlowSuite --list >> "$names"
done

# The policies every phase shares (the reference's own default entry is repeated first).
# Why the vm cursors: hermod keeps every message it holds in memory, which is what ActiveMQ does
# with them; its default cursors instead spill waiting messages to disk at 70% of the limit, so
# a queue's producers are never held there (hermod warns that the element is not needed).
vmq='<pendingQueuePolicy><vmQueueCursor/></pendingQueuePolicy>'
policies='<destinationPolicy><policyMap><policyEntries>
  <policyEntry queue=">" prioritizedMessages="true">'$vmq'</policyEntry>
  <policyEntry queue="flow.lim.>" memoryLimit="256 kb">'$vmq'</policyEntry>
  <policyEntry queue="flow.pfail.>" memoryLimit="256 kb" sendFailIfNoSpace="true">'$vmq'</policyEntry>
  <policyEntry topic="flow.tlim.>" memoryLimit="256 kb"><pendingSubscriberPolicy><vmCursor/></pendingSubscriberPolicy></policyEntry>
  <policyEntry topic="flow.tpend.>" memoryLimit="256 kb"><pendingSubscriberPolicy><vmCursor/></pendingSubscriberPolicy>
    <pendingMessageLimitStrategy><constantPendingMessageLimitStrategy limit="10"/></pendingMessageLimitStrategy></policyEntry>
  <policyEntry queue="flow.exp.>" expireMessagesPeriod="500"/>
  <policyEntry queue="flow.noexp.>" expireMessagesPeriod="0"/>
</policyEntries></policyMap></destinationPolicy>
<plugins><statisticsBrokerPlugin/></plugins>'

for ph in $phases; do
    case $ph in
        block)  extra="$policies" ;;
        fail)   extra="$policies<systemUsage><systemUsage sendFailIfNoSpace=\"true\"/></systemUsage>" ;;
        timeout) extra="$policies<systemUsage><systemUsage sendFailIfNoSpaceAfterTimeout=\"1000\"/></systemUsage>" ;;
        system) extra="$policies<systemUsage><systemUsage><memoryUsage><memoryUsage limit=\"1 mb\"/></memoryUsage></systemUsage></systemUsage>" ;;
    esac
    phase_names=$(java -Dit.phase=$ph -cp "$classes:$IT_CP" hermodit.flow.FlowSuite --list | paste -sd, -)
    if [ -n "${IT_ONLY:-}" ]; then
        keep=""
        for n in ${phase_names//,/ }; do
            case ",$IT_ONLY," in *",$n,"*) keep="$keep${keep:+,}$n" ;; esac
        done
        [ -n "$keep" ] || continue
        phase_names=$keep
    fi
    if ! IT_BROKER_XML="$extra" it_broker_start "$port" "$IT_ROOT/build/interop-run/flow-$ph"; then
        echo "broker for phase $ph did not start" >&2
        continue
    fi
    [ "$IT_REF" = 1 ] && bname=ref || bname=itest
    timeout 280 java -Xmx384m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.phase=$ph \
        -Dit.brokerName=$bname -Dit.ref=$IT_REF hermodit.flow.FlowSuite --only "$phase_names" \
        >> "$results" 2>> "$logs/details.log" &
    jpid=$!
    wait "$jpid"
    rc=$?
    jpid=""
    [ $rc = 124 ] && echo "phase $ph: suite JVM killed after 280 s" >&2
    if ! it_broker_alive; then
        echo "broker died during phase $ph" >&2
    fi
    it_broker_stop
done
cat "$logs/details.log" >&2
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
reported=1
it_report "$names" "$results" "no verdict"
