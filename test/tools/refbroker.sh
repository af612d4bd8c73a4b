#!/usr/bin/env bash
# Runs Debian's ActiveMQ 5.17 as the reference broker on loopback, with only an OpenWire
# connector (no web console, no other protocols), in its own data directory.
#   refbroker.sh start PORT DIR [EXTRA_BROKER_XML]   -> starts in background, waits for the port
#   refbroker.sh start-file PORT DIR XML            -> ActiveMQ on XML as it is (a suite's own
#                                                      activemq.xml, the one hermod reads too)
#   refbroker.sh stop DIR
# Why a script: several tests and the benchmark need the same reference broker set-up, and
# parallel users must not collide on ports or data directories.
set -euo pipefail
cmd=${1:?start|start-file|stop}; shift

# launch PORT DIR CONF_DIR XML: the JVM in the background (pid, log in DIR), waits for PORT.
# CONF_DIR is activemq.conf; a login.config in it is the JAAS configuration (as hermod finds
# one beside its XML), so relative file names in it resolve against CONF_DIR.
launch() {
    local port=$1 dir=$2 conf=$3 xml=$4 jaas=()
    [ -f "$conf/login.config" ] && jaas=(-Djava.security.auth.login.config="$conf/login.config")
    cat > "$dir/log4j2.properties" <<'P'
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d %-5p %c{1} - %m%n
P
    cp=/usr/share/activemq/bin/activemq.jar
    nohup java -Xms256M -Xmx512M -Dlog4j.configurationFile="$dir/log4j2.properties" \
        -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$dir" -Dactivemq.conf="$conf" \
        -Dactivemq.data="$dir/data" ${jaas[@]+"${jaas[@]}"} -jar "$cp" start "xbean:file:$xml" \
        > "$dir/broker.log" 2>&1 &
    echo $! > "$dir/broker.pid"
    for _ in $(seq 1 120); do
        if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then exit 0; fi
        kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null || { cat "$dir/broker.log" >&2; exit 1; }
        sleep 0.5
    done
    echo "reference broker did not open port $port" >&2; exit 1
}

case "$cmd" in
start-file)
    port=${1:?port}; dir=${2:?dir}; xml=${3:?activemq.xml}
    mkdir -p "$dir/data"
    dir=$(cd "$dir" && pwd)
    xml=$(cd "$(dirname "$xml")" && pwd)/$(basename "$xml")
    launch "$port" "$dir" "$(dirname "$xml")" "$xml" ;;
start)
    port=${1:?port}; dir=${2:?dir}; extra=${3:-}
    mkdir -p "$dir/conf" "$dir/data"
    dir=$(cd "$dir" && pwd)
    cat > "$dir/conf/activemq.xml" <<XML
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
       http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="ref" dataDirectory="$dir/data" useJmx="false" schedulerSupport="true" advisorySupport="true">
    <destinationPolicy><policyMap><policyEntries>
      <policyEntry queue=">" prioritizedMessages="true"/>
    </policyEntries></policyMap></destinationPolicy>
    $extra
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:$port?maximumConnections=1000&amp;wireFormat.maxFrameSize=104857600"/>
    </transportConnectors>
  </broker>
</beans>
XML
    launch "$port" "$dir" "$dir/conf" "$dir/conf/activemq.xml" ;;
stop)
    dir=${1:?dir}
    [ -f "$dir/broker.pid" ] && kill "$(cat "$dir/broker.pid")" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null || exit 0; sleep 0.25; done
    kill -9 "$(cat "$dir/broker.pid")" 2>/dev/null || true ;;
esac
