#!/usr/bin/env bash
# TLS transport (issue 13): the ActiveMQ JMS client over ssl:// with certificates made by
# OpenSSL here (a CA, the broker's certificate for 127.0.0.1, a client certificate), on two
# connectors: ssl:// and ssl:// with needClientAuth=true.  A second broker (port + 3) logs
# clients in by their certificate (jaasCertificateAuthenticationPlugin, TextFileCertificateLoginModule).
#   test/interop/tls/run.sh /abs/path/hermod       (ports 62960 to 62963, or IT_PORT)
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
    openssl req -newkey rsa:2048 -nodes -subj "/CN=stranger" -keyout "$pki/stranger.key" -out "$pki/stranger.csr" &&
    openssl x509 -req -in "$pki/stranger.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -out "$pki/stranger.pem" &&
    openssl pkcs12 -export -in "$pki/stranger.pem" -inkey "$pki/stranger.key" -passout pass:secret \
        -name stranger -out "$pki/stranger.p12" &&
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
# the certificate-login broker: users.properties maps the user to its certificate's DN as Java
# prints it (the test checks that form against Java's own)
port4=$((port + 3))
cdir=$dir/certauth
mkdir -p "$cdir"
cat > "$cdir/login.config" <<'J'
CertLogin {
    org.apache.activemq.jaas.TextFileCertificateLoginModule required
        org.apache.activemq.jaas.textfiledn.user="users.properties"
        org.apache.activemq.jaas.textfiledn.group="groups.properties";
};
J
printf 'app=O=hermod tests, CN=jms client\n' > "$cdir/users.properties"
printf 'apps=app\n' > "$cdir/groups.properties"
cat > "$cdir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="certauth" persistent="false"
        populateJMSXUserID="true" useAuthenticatedPrincipalForJMSXUserID="true">
  <sslContext><sslContext certificate="$pki/broker.pem" privateKey="$pki/broker.key" caCertificate="$pki/ca.pem"/></sslContext>
  <plugins>
    <jaasCertificateAuthenticationPlugin configuration="CertLogin"/>
    <authorizationPlugin><map><authorizationMap><authorizationEntries>
      <authorizationEntry queue="APP.>" read="apps" write="apps" admin="apps"/>
      <authorizationEntry topic="ActiveMQ.Advisory.>" read="apps" write="apps" admin="apps"/>
    </authorizationEntries></authorizationMap></map></authorizationPlugin>
  </plugins>
  <transportConnectors>
    <transportConnector name="ssl-cert" uri="ssl://127.0.0.1:$port4?wantClientAuth=true"/>
  </transportConnectors>
</broker>
XML
it_port_open "$port4" && it_suite_abort "port $port4 is already in use"
"$IT_HERMOD" --config "$cdir/hermod.xml" 2>> "$cdir/hermod.log" < /dev/null > /dev/null &
cert_pid=$!
IT_SUITE_ON_EXIT='kill $cert_pid 2>/dev/null; wait $cert_pid 2>/dev/null'
for _ in $(seq 1 100); do it_port_open "$port4" && break; sleep 0.1; done
it_port_open "$port4" || { cat "$cdir/hermod.log" >&2; it_suite_abort "the certificate-login broker did not start"; }
it_suite_java 300 -Xmx512m -Dit.port=$port -Dit.port2=$port2 -Dit.port3=$port3 -Dit.port4=$port4 -Dit.pki="$pki" -Dit.log="$dir/hermod.log" \
    -Dit.pid="$(cat "$dir/hermod.pid")"
