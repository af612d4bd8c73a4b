#!/usr/bin/env bash
# AMQP 1.0 (issue 15): hermod judged through Qpid Proton's Python client, raw bytes for hostile
# input, and the ActiveMQ JMS client (OwPeer.java) for messages crossing to and from OpenWire.
# One broker, persistent, with amqp:// (port 62200), OpenWire (62201), auto:// (62202) and
# amqp+ssl:// (62203, a certificate made here by OpenSSL) connectors; a second broker with users
# and permissions on 62204 (AMQP) and its web console on 62205 (HTTP Basic, admins group).
#   test/interop/amqp/run.sh /abs/path/hermod      (IT_PORT / IT_PORT_SHIFT move the ports)
#   IT_ONLY=a,b test/interop/amqp/run.sh ...       a subset
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
it_hermod_only "ActiveMQ 5.17 from Debian has no AMQP module"
port=${IT_PORT:-$((62200 + ${IT_PORT_SHIFT:-0}))}
owport=$((port + 1))
autoport=$((port + 2))
sslport=$((port + 3))
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
# Debian's Proton C examples (libqpid-proton11-dev-examples) and rhea from npm
examples=/usr/share/proton/examples/c
for ex in send receive; do
    gcc -O1 -o "$classes/pn_$ex" "$examples/$ex.c" -lqpid-proton > "$IT_SUITE_LOGS/pn_$ex.log" 2>&1 ||
        echo "cannot build Proton's $ex example (libqpid-proton11-dev-examples)" >&2
done
[ -d "$here/node/node_modules/rhea" ] || (cd "$here/node" && npm ci --no-audit --no-fund >&2) ||
    echo "cannot install rhea (npm ci in $here/node)" >&2
dir=$IT_ROOT/build/interop-run/amqp
it_hermod_custom "$port" "$dir"
for p in $owport $autoport $sslport; do it_port_open "$p" && it_suite_abort "port $p is already in use"; done
pki=$dir/pki
mkdir -p "$pki"
{ openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hermod amqp test CA" -keyout "$pki/ca.key" -out "$pki/ca.pem" &&
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/broker.key" -out "$pki/broker.csr" &&
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$pki/san.ext" &&
  openssl x509 -req -in "$pki/broker.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
      -extfile "$pki/san.ext" -out "$pki/broker.pem"; } > "$dir/pki.log" 2>&1 || it_suite_abort "could not make the test certificates"
cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="amqpit" dataDirectory="$dir/data" persistent="true" schedulerSupport="true">
  <sslContext><sslContext certificate="$pki/broker.pem" privateKey="$pki/broker.key"/></sslContext>
  <plugins><statisticsBrokerPlugin/></plugins>
  <destinationPolicy><policyMap><policyEntries>
    <policyEntry queue="q.flow.>" memoryLimit="1 mb" producerFlowControl="true"><pendingQueuePolicy><vmQueueCursor/></pendingQueuePolicy></policyEntry>
  </policyEntries></policyMap></destinationPolicy>
  <persistenceAdapter><bdb directory="$dir/data/bdb"/></persistenceAdapter>
  <transportConnectors>
    <transportConnector name="amqp" uri="amqp://127.0.0.1:$port?maximumConnections=1000&amp;transport.connectAttemptTimeout=3000"/>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$owport"/>
    <transportConnector name="auto" uri="auto://127.0.0.1:$autoport"/>
    <transportConnector name="amqps" uri="amqp+ssl://127.0.0.1:$sslport"/>
  </transportConnectors>
</broker>
XML
it_hermod_custom_start "$port"
# A second broker with users and permissions (the security issue's plugins), AMQP only.
secport=$((port + 4))
sdir=$dir/secure
mkdir -p "$sdir/data"
it_port_open "$secport" && it_suite_abort "port $secport is already in use"
cat > "$sdir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="amqpsec" dataDirectory="$sdir/data" persistent="false">
  <plugins>
    <simpleAuthenticationPlugin anonymousAccessAllowed="false">
      <users>
        <authenticationUser username="admin" password="adminpw" groups="admins,users"/>
        <authenticationUser username="reader" password="readerpw" groups="readers,users"/>
      </users>
    </simpleAuthenticationPlugin>
    <authorizationPlugin><map><authorizationMap><authorizationEntries>
      <authorizationEntry queue=">" read="admins" write="admins" admin="admins"/>
      <authorizationEntry queue="SEC.>" read="readers,admins" write="admins" admin="admins,readers"/>
      <authorizationEntry topic="ActiveMQ.Advisory.>" read="users" write="users" admin="users"/>
    </authorizationEntries></authorizationMap></map></authorizationPlugin>
  </plugins>
  <webConsole uri="http://127.0.0.1:$((port + 5))"/>
  <transportConnectors>
    <transportConnector name="amqp" uri="amqp://127.0.0.1:$secport"/>
  </transportConnectors>
</broker>
XML
"$IT_HERMOD" --config "$sdir/hermod.xml" 2>> "$sdir/hermod.log" < /dev/null > /dev/null &
secpid=$!
IT_SUITE_ON_EXIT='kill -TERM $secpid 2>/dev/null; wait $secpid 2>/dev/null'
for i in $(seq 1 100); do it_port_open "$secport" && break; sleep 0.1; done
AMQP_PORT=$port SEC_PORT=$secport SEC_HTTP_PORT=$((port + 5)) OW_PORT=$owport AUTO_PORT=$autoport SSL_PORT=$sslport CA_PEM="$pki/ca.pem" PN_SEND="$classes/pn_send" PN_RECEIVE="$classes/pn_receive" OW_CP="$classes:$IT_CP" BROKERCTL="$IT_ROOT/test/interop/common/brokerctl.sh" \
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
