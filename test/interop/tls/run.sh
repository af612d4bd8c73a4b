#!/usr/bin/env bash
# TLS transport (issue 13): the ActiveMQ JMS client over ssl:// with certificates made by
# OpenSSL here (a CA, the broker's certificate for 127.0.0.1, a client certificate), on two
# connectors: ssl:// and ssl:// with needClientAuth=true.
#   test/interop/tls/run.sh /abs/path/hermod       (ports 62960, 62961, or IT_PORT)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
it_hermod_only "the reference run would need a JKS broker keystore"
port=${IT_PORT:-$((62960 + ${IT_PORT_SHIFT:-0}))}
port2=$((port + 1))
port3=$((port + 2))
it_suite_setup tls hermodit.tls.TlsSuite || exit 1
dir=$IT_ROOT/build/interop-run/tls
it_hermod_custom "$port" "$dir"
pki=$dir/pki
mkdir -p "$pki"
make_pki() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hermod test CA" \
        -keyout "$pki/ca.key" -out "$pki/ca.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/broker.key" -out "$pki/broker.csr" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$pki/san.ext" &&
    openssl x509 -req -in "$pki/broker.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -extfile "$pki/san.ext" -out "$pki/broker.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=jms client/O=hermod tests" -keyout "$pki/client.key" -out "$pki/client.csr" &&
    openssl x509 -req -in "$pki/client.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -out "$pki/client.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1/O=reloaded" -keyout "$pki/broker2.key" -out "$pki/broker2.csr" &&
    openssl x509 -req -in "$pki/broker2.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -extfile "$pki/san.ext" -out "$pki/broker2.pem" &&
    openssl pkcs12 -export -in "$pki/client.pem" -inkey "$pki/client.key" -passout pass:secret \
        -name client -out "$pki/client.p12" &&
    keytool -importcert -noprompt -alias ca -file "$pki/ca.pem" -keystore "$pki/trust.p12" \
        -storetype PKCS12 -storepass secret
}
make_pki > "$dir/pki.log" 2>&1 || { cat "$dir/pki.log" >&2; it_suite_abort "could not make the test certificates"; }
cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="tls" dataDirectory="$dir/data" persistent="false">
  <sslContext><sslContext certificate="$pki/broker.pem" privateKey="$pki/broker.key" caCertificate="$pki/ca.pem"/></sslContext>
  <transportConnectors>
    <transportConnector name="ssl" uri="ssl://127.0.0.1:$port?transport.connectAttemptTimeout=2000"/>
    <transportConnector name="ssl-auth" uri="ssl://127.0.0.1:$port2?needClientAuth=true"/>
    <transportConnector name="auto-ssl" uri="auto+ssl://127.0.0.1:$port3"/>
  </transportConnectors>
</broker>
XML
it_hermod_custom_start "$port"
it_suite_java 300 -Xmx512m -Dit.port=$port -Dit.port2=$port2 -Dit.port3=$port3 -Dit.pki="$pki" -Dit.log="$dir/hermod.log" \
    -Dit.pid="$(cat "$dir/hermod.pid")"
