#!/usr/bin/env bash
# Limits a client meets before and after the handshake (issue 12): commands before the
# WireFormatInfo, RemoveInfo/ShutdownInfo at every handshake stage, the handshake deadline, the
# negotiated inactivity period, half-sent frames against the broker-wide input budget, input
# buffers given back after large messages, and consumers that stop reading and then reset their
# sockets (SIGPIPE).  The broker must stay up throughout; memory is read from /proc.
#   test/interop/limits/run.sh /abs/path/hermod      (port 62950, or IT_PORT)
# hermod only: the options it tests (inputBufferLimit, a 2 s connectAttemptTimeout) are
# hermod's; ActiveMQ 5.17 keeps silent sockets 30 s and has no input budget.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
it_hermod_only "hermod's own limits"

port=${IT_PORT:-$((62950 + ${IT_PORT_SHIFT:-0}))}
# These tests measure the broker's resident memory: under AddressSanitizer, freed buffers wait in
# its quarantine (256 MB by default) and would count; a small one keeps the measure honest.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=8"
it_suite_setup limits hermodit.limits.LimitsSuite || exit 1
dir=$IT_ROOT/build/interop-run/limits
it_hermod_custom "$port" "$dir"
cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="limits" dataDirectory="$dir/data"
        persistent="false" inputBufferLimit="128 mb">
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port?maximumConnections=400&amp;transport.connectAttemptTimeout=2000&amp;wireFormat.maxInactivityDuration=3000&amp;wireFormat.maxInactivityDurationInitalDelay=1000"/>
  </transportConnectors>
</broker>
XML
it_hermod_custom_start "$port"
it_suite_java 400 -Xmx1200m -Dit.port=$port -Dit.pid="$IT_BROKER_PID" -Dit.log="$dir/hermod.log"
