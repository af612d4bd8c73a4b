#!/usr/bin/env bash
# The management side (issue 18): /metrics read by prometheus_client's parser, the JSON API,
# ActiveMQ's queues.jsp, `hermod admin`, the console page, cross-site and hostile HTTP refused,
# HTTP and messaging at once; each checked against what the ActiveMQ JMS client did or receives.
#   test/interop/mgmt/run.sh /abs/path/hermod     (OpenWire port 61600, HTTP 61601; or IT_PORT,
#                                                  HTTP at IT_PORT + 1; 61602/61603 for a second broker)
# hermod only: ActiveMQ's console is a different program (Jetty, JSP) with other URLs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
it_hermod_only "hermod's own console and API"

port=${IT_PORT:-$((61600 + ${IT_PORT_SHIFT:-0}))}
http=$((port + 1))
it_suite_setup mgmt hermodit.mgmt.MgmtSuite || exit 1
dir=$IT_ROOT/build/interop-run/mgmt
it_port_open "$http" && it_suite_abort "HTTP port $http is already in use"
it_hermod_custom "$port" "$dir"
cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="mgmt" dataDirectory="$dir/data" persistent="true"
        schedulerSupport="true">
  <persistenceAdapter><bdb directory="$dir/data/bdb"/></persistenceAdapter>
  <systemUsage><systemUsage><memoryUsage><memoryUsage limit="64 mb"/></memoryUsage></systemUsage></systemUsage>
  <destinationPolicy><policyMap><policyEntries>
    <policyEntry queue="MG.full" memoryLimit="256 kb"><pendingQueuePolicy><vmQueueCursor/></pendingQueuePolicy></policyEntry>
  </policyEntries></policyMap></destinationPolicy>
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/>
  </transportConnectors>
  <webConsole uri="http://127.0.0.1:$http"/>
</broker>
XML
it_hermod_custom_start "$port"
it_suite_java 500 -Xmx512m -Dit.port=$port -Dit.http=$http -Dit.hermod="$IT_HERMOD" \
    -Dit.probe="$here/mg_probe.py" -Dit.console="$here/console_check.py" -Dit.dir="$dir" \
    -Dit.brokerctl="$IT_ROOT/test/interop/common/brokerctl.sh"
