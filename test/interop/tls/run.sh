#!/usr/bin/env bash
# TLS transport (issue 13): the ActiveMQ JMS client over ssl:// with certificates made by
# OpenSSL and keytool here (a CA, the broker's certificate for 127.0.0.1, client certificates,
# the broker's PKCS#12 keyStore and trustStore), on three connectors: ssl://, ssl:// with
# needClientAuth=true, auto+ssl://.  Two more brokers log clients in by their certificate
# (jaasCertificateAuthenticationPlugin, jaasDualAuthenticationPlugin).
# Every broker reads one activemq.xml, the same file for hermod and for ActiveMQ 5.17
# (ActiveMQ's own <sslContext keyStore= trustStore=> with PKCS#12 stores).
#   test/interop/tls/run.sh /abs/path/hermod       (ports 62960 to 62966, or IT_PORT)
#   REF=1 test/interop/tls/run.sh                   (ActiveMQ 5.17 from the same XML files)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
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
    openssl pkcs12 -export -in "$pki/broker.pem" -inkey "$pki/broker.key" -passout pass:secret \
        -name broker -out "$pki/broker.p12" &&
    openssl pkcs12 -export -in "$pki/broker2.pem" -inkey "$pki/broker2.key" -passout pass:secret \
        -name broker -out "$pki/broker2.p12" &&
    openssl pkcs12 -export -in "$pki/client.pem" -inkey "$pki/client.key" -passout pass:secret \
        -name client -out "$pki/client.p12" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=stranger" -keyout "$pki/stranger.key" -out "$pki/stranger.csr" &&
    openssl x509 -req -in "$pki/stranger.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -out "$pki/stranger.pem" &&
    openssl pkcs12 -export -in "$pki/stranger.pem" -inkey "$pki/stranger.key" -passout pass:secret \
        -name stranger -out "$pki/stranger.p12" &&
    keytool -importcert -noprompt -alias ca -file "$pki/ca.pem" -keystore "$pki/trust.p12" \
        -storetype PKCS12 -storepass secret &&
    # another CA nobody trusts: its own client certificate, and a client truststore of it alone
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
        -keyout "$pki/other-ca.key" -out "$pki/other-ca.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=outsider" -keyout "$pki/outsider.key" -out "$pki/outsider.csr" &&
    openssl x509 -req -in "$pki/outsider.csr" -CA "$pki/other-ca.pem" -CAkey "$pki/other-ca.key" \
        -CAcreateserial -days 2 -out "$pki/outsider.pem" &&
    openssl pkcs12 -export -in "$pki/outsider.pem" -inkey "$pki/outsider.key" -passout pass:secret \
        -name outsider -out "$pki/outsider.p12" &&
    keytool -importcert -noprompt -alias ca -file "$pki/other-ca.pem" -keystore "$pki/other-trust.p12" \
        -storetype PKCS12 -storepass secret
}
make_pki > "$dir/pki.log" 2>&1 || { cat "$dir/pki.log" >&2; it_suite_abort "could not make the test certificates"; }
ssl_shared="<sslContext><sslContext keyStore=\"$pki/broker.p12\" keyStorePassword=\"secret\" keyStoreType=\"pkcs12\"
        trustStore=\"$pki/trust.p12\" trustStorePassword=\"secret\" trustStoreType=\"pkcs12\"/></sslContext>"
# hermod's own PEM form, which ActiveMQ cannot read: certauth uses it when judging hermod, so
# that caCertificate= with client certificates stays covered (the other brokers share one XML)
ssl_pem="<sslContext><sslContext certificate=\"$pki/broker.pem\" privateKey=\"$pki/broker.key\"
        caCertificate=\"$pki/ca.pem\"/></sslContext>"
# broker_xml NAME FILE ATTRIBUTES ELEMENTS: the activemq.xml of broker NAME, read by hermod and by
# ActiveMQ alike (a Spring <beans> file; ActiveMQ finds the login.config beside it, hermod too),
# with $ssl_shared or, when set, $ssl_context.
broker_xml() {
    cat > "$2" <<XML
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
       http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="$1" persistent="false" useJmx="false"
          dataDirectory="$(dirname "$2")/data" $3>
    ${ssl_context:-$ssl_shared}
    $4
  </broker>
</beans>
XML
}
# The handshake deadline has a connector of its own (port + 6): with it on the main connector,
# ActiveMQ closed the suite's very first connection under load (a cold JVM's first TLS
# connection took over 3 s to send its WireFormatInfo).
port7=$((port + 6))
broker_xml tls "$dir/hermod.xml" "" "<transportConnectors>
      <transportConnector name=\"ssl\" uri=\"ssl://127.0.0.1:$port\"/>
      <transportConnector name=\"ssl-auth\" uri=\"ssl://127.0.0.1:$port2?needClientAuth=true\"/>
      <transportConnector name=\"auto-ssl\" uri=\"auto+ssl://127.0.0.1:$port3\"/>
      <transportConnector name=\"ssl-deadline\" uri=\"ssl://127.0.0.1:$port7?transport.connectAttemptTimeout=2000\"/>
    </transportConnectors>"
if [ "$IT_REF" = 1 ]; then
    IT_BROKER_KIND=ref
    cp "$IT_ROOT/test/tools/refbroker.sh" "$dir/refbroker.sh"
    it_state_save "$port" 104857600
    bash "$dir/refbroker.sh" start-file "$port" "$dir/ref" "$dir/hermod.xml" >&2 ||
        it_suite_abort "reference broker did not start"
    IT_SUITE_BROKER_MUST_LIVE=1
    log=$dir/ref/broker.log
    pid=$(cat "$dir/ref/broker.pid")
else
    it_hermod_custom_start "$port"
    log=$dir/hermod.log
    pid=$(cat "$dir/hermod.pid")
fi
# Two more brokers log clients in by their certificate: users.properties maps the user to its
# certificate's DN as Java prints it (the test checks that form against Java's own).  certauth
# (port + 3) has jaasCertificateAuthenticationPlugin; dual (port + 4 TLS, port + 5 plain) has
# jaasDualAuthenticationPlugin: certificates on TLS, passwords (users "app"/"apppw") on plain TCP.
port4=$((port + 3)) port5=$((port + 4)) port6=$((port + 5))
# extra_broker NAME PORT PLUGIN_ELEMENT CONNECTORS: a broker in $dir/NAME with the login.config
# below beside its XML, stopped when the suite ends
extra_broker() {
    local d=$dir/$1 pid
    mkdir -p "$d"
    cat > "$d/login.config" <<'J'
CertLogin {
    org.apache.activemq.jaas.TextFileCertificateLoginModule required
        org.apache.activemq.jaas.textfiledn.user="dn-users.properties"
        org.apache.activemq.jaas.textfiledn.group="groups.properties";
};
activemq {
    org.apache.activemq.jaas.PropertiesLoginModule required
        org.apache.activemq.jaas.properties.user="users.properties"
        org.apache.activemq.jaas.properties.group="groups.properties";
};
J
    printf 'app=O=hermod tests, CN=jms client\n' > "$d/dn-users.properties"
    printf 'app=apppw\n' > "$d/users.properties"
    printf 'apps=app\n' > "$d/groups.properties"
    broker_xml "$1" "$d/activemq.xml" 'populateJMSXUserID="true" useAuthenticatedPrincipalForJMSXUserID="true"' "<plugins>
      $3
      <authorizationPlugin><map><authorizationMap><authorizationEntries>
        <authorizationEntry queue=\"APP.>\" read=\"apps\" write=\"apps\" admin=\"apps\"/>
        <authorizationEntry topic=\"ActiveMQ.Advisory.>\" read=\"apps\" write=\"apps\" admin=\"apps\"/>
      </authorizationEntries></authorizationMap></map></authorizationPlugin>
    </plugins>
    <transportConnectors>$4</transportConnectors>"
    it_port_open "$2" && it_suite_abort "port $2 is already in use"
    if [ "$IT_REF" = 1 ]; then
        IT_SUITE_ON_EXIT="${IT_SUITE_ON_EXIT:+$IT_SUITE_ON_EXIT; }bash $dir/refbroker.sh stop $d/ref >&2"
        bash "$dir/refbroker.sh" start-file "$2" "$d/ref" "$d/activemq.xml" >&2 ||
            it_suite_abort "reference broker $1 did not start"
        return
    fi
    "$IT_HERMOD" --config "$d/activemq.xml" 2>> "$d/hermod.log" < /dev/null > /dev/null &
    pid=$!
    IT_SUITE_ON_EXIT="${IT_SUITE_ON_EXIT:+$IT_SUITE_ON_EXIT; }kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    for _ in $(seq 1 100); do it_port_open "$2" && break; sleep 0.1; done
    it_port_open "$2" || { cat "$d/hermod.log" >&2; it_suite_abort "broker $1 did not start"; }
}
[ "$IT_REF" = 1 ] || ssl_context=$ssl_pem
extra_broker certauth "$port4" '<jaasCertificateAuthenticationPlugin configuration="CertLogin"/>' \
    "<transportConnector name=\"ssl-cert\" uri=\"ssl://127.0.0.1:$port4?wantClientAuth=true\"/>"
ssl_context=""
extra_broker dual "$port5" '<jaasDualAuthenticationPlugin configuration="activemq" sslConfiguration="CertLogin"/>' \
    "<transportConnector name=\"ssl\" uri=\"ssl://127.0.0.1:$port5?wantClientAuth=true\"/>
     <transportConnector name=\"tcp\" uri=\"tcp://127.0.0.1:$port6\"/>"
it_suite_java 300 -Xmx512m -Dit.port=$port -Dit.port2=$port2 -Dit.port3=$port3 -Dit.port4=$port4 \
    -Dit.port5=$port5 -Dit.port6=$port6 -Dit.port7=$port7 -Dit.pki="$pki" -Dit.log="$log" -Dit.pid="$pid"
