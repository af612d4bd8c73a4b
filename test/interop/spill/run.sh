#!/usr/bin/env bash
# Spill interop suite (issue 14): non-persistent messages beyond the memory limit go to
# temporary storage (<tempUsage>) instead of holding producers, with the real ActiveMQ JMS
# client.  The broker runs with <memoryUsage limit="4 mb"/>, <tempUsage limit="20 mb"/> and
# sendFailIfNoSpaceAfterTimeout="10000"; the JVM restarts it through common/brokerctl.sh and reads
# its resident memory from /proc.
#   test/interop/spill/run.sh /abs/path/to/hermod      judge hermod
#   REF=1 test/interop/spill/run.sh   (or --ref)       the same against ActiveMQ 5.17; its memory
#                                                      is logged, not judged (a JVM heap)
#   IT_ONLY=a,b runs a subset; IT_PORT (default 63450, moved by IT_PORT_SHIFT) moves it.
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and
# in build/interop-logs/spill/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((63450 + ${IT_PORT_SHIFT:-0}))}
run=$IT_ROOT/build/interop-run/spill
it_suite_setup spill hermodit.spill.SpillSuite || exit 1
rm -rf "$run"
IT_BROKER_XML='<systemUsage><systemUsage sendFailIfNoSpaceAfterTimeout="10000"><memoryUsage><memoryUsage limit="4 mb"/></memoryUsage><tempUsage><tempUsage limit="20 mb"/></tempUsage></systemUsage></systemUsage><plugins><statisticsBrokerPlugin/></plugins>
<destinationPolicy><policyMap><policyEntries>
  <policyEntry queue=">" prioritizedMessages="true"/>
  <policyEntry queue="it.spill.failnow.>" prioritizedMessages="true" sendFailIfNoSpace="true"/>
</policyEntries></policyMap></destinationPolicy>'
# hermod's console on the next port: the held producer's test reads /metrics there
http=$((port + 1))
[ "$IT_REF" = 1 ] || IT_BROKER_XML="$IT_BROKER_XML<webConsole uri=\"http://127.0.0.1:$http\"/>"
export IT_BROKER_XML
export IT_PERSISTENT=1
( it_broker_start "$port" "$run" ) || it_suite_abort "broker did not start on port $port"
it_broker_adopt "$run"
it_suite_java 900 -Xmx384m -XX:+UseSerialGC -Dit.port=$port -Dit.http=$http -Dit.brokerDir="$run" \
    -Dit.ctl="$here/../common/brokerctl.sh"
