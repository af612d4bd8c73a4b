#!/usr/bin/env bash
# AMQP 1.0 (issue 15): hermod judged through Qpid Proton's Python client, raw bytes for hostile
# input, and the ActiveMQ JMS client (OwPeer.java) for messages crossing to and from OpenWire.
# One broker with an amqp:// connector (port 62980) and an OpenWire one (62981), persistent.
#   test/interop/amqp/run.sh /abs/path/hermod      (IT_PORT / IT_PORT_SHIFT move the ports)
#   IT_ONLY=a,b test/interop/amqp/run.sh ...       a subset
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
it_hermod_only "ActiveMQ 5.17 from Debian has no AMQP module"
port=${IT_PORT:-$((62980 + ${IT_PORT_SHIFT:-0}))}
owport=$((port + 1))
py=/usr/bin/python3                 # Debian's interpreter: python3-qpid-proton imports under it
IT_SUITE=amqp
IT_SUITE_LOGS=$IT_ROOT/build/interop-logs/amqp
IT_SUITE_NAMES=$IT_SUITE_LOGS/names.txt
IT_SUITE_RESULTS=$IT_SUITE_LOGS/results.txt
classes=$IT_ROOT/build/interop-classes/amqp
mkdir -p "$IT_SUITE_LOGS"
: > "$IT_SUITE_RESULTS"
"$py" "$here/suite.py" --list > "$IT_SUITE_NAMES" || { echo "FAIL: amqp_suite_lists"; exit 1; }
trap it_suite_finish EXIT
trap 'exit 130' INT TERM
it_compile "$classes" "$here/java/hermodit/amqp/"*.java || it_suite_abort "javac failed"
dir=$IT_ROOT/build/interop-run/amqp
it_hermod_custom "$port" "$dir"
it_port_open "$owport" && it_suite_abort "port $owport is already in use"
cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="amqpit" dataDirectory="$dir/data" persistent="true">
  <persistenceAdapter><bdb directory="$dir/data/bdb"/></persistenceAdapter>
  <transportConnectors>
    <transportConnector name="amqp" uri="amqp://127.0.0.1:$port?maximumConnections=1000"/>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$owport"/>
  </transportConnectors>
</broker>
XML
it_hermod_custom_start "$port"
AMQP_PORT=$port OW_PORT=$owport OW_CP="$classes:$IT_CP" BROKERCTL="$IT_ROOT/test/interop/common/brokerctl.sh" \
    BROKER_DIR="$dir" timeout 600 "$py" "$here/suite.py" ${IT_ONLY:+--only "$IT_ONLY"} \
    > "$IT_SUITE_RESULTS" 2> "$IT_SUITE_LOGS/details.log"
rc=$?
cat "$IT_SUITE_LOGS/details.log" >&2
it_suite_adopt
if ! it_broker_alive; then
    echo "broker was no longer running at the end of the suite" >&2
    sed -i 's/^PASS: /FAIL: /' "$IT_SUITE_RESULTS"
fi
[ -n "${IT_ONLY:-}" ] && tr ',' '\n' <<< "$IT_ONLY" > "$IT_SUITE_NAMES"
IT_SUITE_REPORTED=1
it_report "$IT_SUITE_NAMES" "$IT_SUITE_RESULTS" "no verdict (suite exit $rc)"
