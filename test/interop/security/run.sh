#!/usr/bin/env bash
# Users and permissions (issue 17): simpleAuthenticationPlugin and authorizationPlugin through
# the ActiveMQ JMS client — every refusal with its exception class and ActiveMQ 5.17's text,
# the operations each user may do, temporary destinations, advisories, JMSXUserID, and a
# password-guessing flood that leaves the log bounded and the broker responsive.
# A second broker on the next port authenticates through JAAS (login.config with a
# PropertiesLoginModule, users.properties and groups.properties, reload=true); a third lets
# clients without credentials in as an anonymous user.
#   test/interop/security/run.sh /abs/path/hermod     (ports 62970 to 62972, or IT_PORT)
#   REF=1 test/interop/security/run.sh                 (ActiveMQ 5.17 from the same XML)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2
port=${IT_PORT:-$((62970 + ${IT_PORT_SHIFT:-0}))}
it_suite_setup security hermodit.security.SecuritySuite || exit 1
dir=$IT_ROOT/build/interop-run/security
# The same <plugins> for both brokers.  Groups: admins may do everything; app owns APP.> and may
# use (not create) LOCKED.>; readers may read APP.>; own may do anything on OWN.> only (no
# advisories); temporary destinations for admins and app.
plugins='<plugins>
  <simpleAuthenticationPlugin anonymousAccessAllowed="false">
    <users>
      <authenticationUser username="admin" password="adminpw" groups="admins,users"/>
      <authenticationUser username="app" password="apppw" groups="app,users"/>
      <authenticationUser username="reader" password="readerpw" groups="readers,users"/>
      <authenticationUser username="own" password="ownpw" groups="own"/>
    </users>
  </simpleAuthenticationPlugin>
  <authorizationPlugin><map><authorizationMap>
    <authorizationEntries>
      <authorizationEntry queue=">" read="admins" write="admins" admin="admins"/>
      <authorizationEntry topic=">" read="admins" write="admins" admin="admins"/>
      <authorizationEntry queue="APP.>" read="app,readers" write="app" admin="app"/>
      <authorizationEntry topic="APP.>" read="app,readers" write="app" admin="app"/>
      <authorizationEntry queue="LOCKED.>" read="app" write="app"/>
      <authorizationEntry queue="OWN.>" read="own" write="own" admin="own"/>
      <authorizationEntry topic="ActiveMQ.Advisory.>" read="users" write="users" admin="users"/>
    </authorizationEntries>
    <tempDestinationAuthorizationEntry>
      <tempDestinationAuthorizationEntry read="admins,app" write="admins,app" admin="admins,app"/>
    </tempDestinationAuthorizationEntry>
  </authorizationMap></map></authorizationPlugin>
</plugins>'
port2=$((port + 1))
it_port_open "$port2" && it_suite_abort "port $port2 is already in use"
jaas_plugins='<plugins>
  <jaasAuthenticationPlugin configuration="activemq"/>
  <authorizationPlugin><map><authorizationMap>
    <authorizationEntries>
      <authorizationEntry queue=">" read="admins" write="admins" admin="admins"/>
      <authorizationEntry queue="APP.>" read="app,readers" write="app" admin="app"/>
      <authorizationEntry topic="ActiveMQ.Advisory.>" read="users" write="users" admin="users"/>
    </authorizationEntries>
  </authorizationMap></map></authorizationPlugin>
</plugins>'
# jaas_files DIR: login.config and the properties files it names (relative to it)
jaas_files() {
    mkdir -p "$1"
    cat > "$1/login.config" <<'J'
/* as ActiveMQ's distribution ships it */
activemq {
    org.apache.activemq.jaas.PropertiesLoginModule required
        org.apache.activemq.jaas.properties.user="users.properties"
        org.apache.activemq.jaas.properties.group="groups.properties"
        reload=true;
};
J
    printf 'admin=adminpw\napp=apppw\nreader=readerpw\n' > "$1/users.properties"
    printf 'admins=admin\napp=app\nreaders=reader\nusers=admin,app,reader\n' > "$1/groups.properties"
}
# A broker letting clients without credentials in as guest (group guests): read PUBLIC.>, write
# and create PUBLIC.IN.>; admin as on the first broker.
port3=$((port + 2))
it_port_open "$port3" && it_suite_abort "port $port3 is already in use"
anon_plugins='<plugins>
  <simpleAuthenticationPlugin anonymousAccessAllowed="true" anonymousUser="guest" anonymousGroup="guests">
    <users><authenticationUser username="admin" password="adminpw" groups="admins"/></users>
  </simpleAuthenticationPlugin>
  <authorizationPlugin><map><authorizationMap>
    <authorizationEntries>
      <authorizationEntry queue=">" read="admins" write="admins" admin="admins"/>
      <authorizationEntry queue="PUBLIC.>" read="guests,admins" write="admins" admin="guests,admins"/>
      <authorizationEntry queue="PUBLIC.IN.>" write="guests"/>
      <authorizationEntry topic="ActiveMQ.Advisory.>" read="guests,admins" write="guests,admins" admin="guests,admins"/>
    </authorizationEntries>
  </authorizationMap></map></authorizationPlugin>
</plugins>'
extra_pids=""
# extra_broker NAME PORT PLUGINS: another broker in $dir/NAME (hermod, or ActiveMQ under REF=1,
# which finds a login.config already in $dir/NAME/conf), stopped when the suite ends.
extra_broker() {
    local d=$dir/$1 pid
    if [ "$IT_REF" = 1 ]; then
        # refbroker.sh gives ActiveMQ the login.config it finds in $d/conf
        cp "$dir/refbroker.sh" "$d.refbroker.sh"
        IT_SUITE_ON_EXIT="${IT_SUITE_ON_EXIT:+$IT_SUITE_ON_EXIT; }bash $d.refbroker.sh stop $d >&2"
        bash "$d.refbroker.sh" start "$2" "$d" "$3" >&2 || it_suite_abort "reference broker $1 did not start"
        return
    fi
    mkdir -p "$d/conf"
    cat > "$d/conf/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="$1" persistent="false" populateJMSXUserID="true">
  $3
  <transportConnectors><transportConnector name="openwire" uri="tcp://127.0.0.1:$2"/></transportConnectors>
</broker>
XML
    "$IT_HERMOD" --config "$d/conf/hermod.xml" 2>> "$d/hermod.log" < /dev/null > /dev/null &
    pid=$!
    IT_SUITE_ON_EXIT="${IT_SUITE_ON_EXIT:+$IT_SUITE_ON_EXIT; }kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    for _ in $(seq 1 100); do it_port_open "$2" && break; sleep 0.1; done
    it_port_open "$2" || { cat "$d/hermod.log" >&2; it_suite_abort "broker $1 did not start"; }
}
if [ "$IT_REF" = 1 ]; then
    it_port_open "$port" && it_suite_abort "port $port is already in use"
    rm -rf "$dir"; mkdir -p "$dir"
    IT_BROKER_DIR=$dir
    IT_BROKER_KIND=ref
    sed -e 's/advisorySupport="true">/advisorySupport="true" populateJMSXUserID="true">/' \
        "$IT_ROOT/test/tools/refbroker.sh" > "$dir/refbroker.sh"
    it_state_save "$port" 104857600
    bash "$dir/refbroker.sh" start "$port" "$dir/ref" "$plugins" >&2 || it_suite_abort "reference broker did not start"
    log=$dir/ref/broker.log
else
    it_hermod_custom "$port" "$dir"
    cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="secure" dataDirectory="$dir/data" persistent="false" populateJMSXUserID="true">
  $plugins
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port?maximumConnections=1000&amp;maximumConnectionsPerAddress=100"/>
  </transportConnectors>
</broker>
XML
    it_hermod_custom_start "$port"
    log=$dir/hermod.log
fi
jaas_conf=$dir/jaas/conf
jaas_files "$jaas_conf"
extra_broker jaas "$port2" "$jaas_plugins"
extra_broker anon "$port3" "$anon_plugins"
it_suite_java 400 -Xmx512m -Dit.port=$port -Dit.log="$log" -Dit.port2=$port2 -Dit.jaas="$jaas_conf" \
    -Dit.port3=$port3
