#!/usr/bin/env bash
# Drives the two brokers of the failover suite: hermod "a" and "b" on one store directory with a
# lease file (or, with IT_REF=1 in RUN/pair.env, two ActiveMQ 5.17 brokers on one KahaDB
# directory with a shared-file-locker).  The Java suite runs it between its steps.
# hermod's web console (metrics) listens on the broker's port + 2.
#   pairctl.sh RUN fresh            stops both, wipes the store, starts a, waits until it serves, starts b
#   pairctl.sh RUN start NAME       starts NAME (it serves or waits as standby)
#   pairctl.sh RUN kill9 NAME       SIGKILL, waits until the process is gone
#   pairctl.sh RUN term NAME        SIGTERM, waits until the process is gone (at most 30 s)
#   pairctl.sh RUN pause|resume NAME   SIGSTOP / SIGCONT
#   pairctl.sh RUN primary [SECS]   prints the name of the one broker that serves (port open, not
#                                   paused), waiting up to SECS (default 30); exit 1 if none
#   pairctl.sh RUN serving NAME     exit 0 if NAME's port accepts connections
#   pairctl.sh RUN pid NAME         its pid
#   pairctl.sh RUN verify           stops both gracefully, runs `hermod store verify` on the store
#   pairctl.sh RUN stopall          stops both (SIGTERM, then SIGKILL)
# RUN/pair.env (written by run.sh) holds IT_REF, HERMOD, PORT_A, PORT_B, LEASE_MS, KEEPALIVE_MS
# and optionally PAIR_XML (more <broker> children for both, e.g. a plugin).
set -u
run=${1:?RUN}; cmd=${2:?command}; name=${3:-}
. "$run/pair.env"

port_of() { if [ "$1" = a ]; then echo "$PORT_A"; else echo "$PORT_B"; fi; }
pid_of() { cat "$run/$1/pid" 2>/dev/null; }
# a process that ended is gone even while its zombie waits to be reaped (by init, which here may
# take its time)
running() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
alive() { running "$(pid_of "$1")"; }
paused() { local p; p=$(pid_of "$1"); [ -n "$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = T ]; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_config() {   # NAME
    local n=$1 port dir
    port=$(port_of "$n"); dir=$run/$n
    mkdir -p "$dir/data"
    if [ "$IT_REF" = 1 ]; then
        mkdir -p "$dir/conf"
        cat > "$dir/conf/activemq.xml" <<XML
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
       http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="$n" dataDirectory="$dir/data" useJmx="false">
    ${PAIR_XML:-}
    <persistenceAdapter>
      <kahaDB directory="$run/shared/kahadb" lockKeepAlivePeriod="$KEEPALIVE_MS">
        <locker><shared-file-locker lockAcquireSleepInterval="$LEASE_MS"/></locker>
      </kahaDB>
    </persistenceAdapter>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/>
    </transportConnectors>
  </broker>
</beans>
XML
        cat > "$dir/conf/log4j2.properties" <<'P'
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d %-5p %c{1} - %m%n
P
    else
        cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="$n" dataDirectory="$dir/data" persistent="true">
  ${PAIR_XML:-}
  <persistenceAdapter>
    <bdb directory="$run/shared" lockKeepAlivePeriod="$KEEPALIVE_MS">
      <locker><lease-file-locker lockAcquireSleepInterval="$LEASE_MS"/></locker>
    </bdb>
  </persistenceAdapter>
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/>
  </transportConnectors>
  <webConsole uri="http://127.0.0.1:$((port + 2))"/>
</broker>
XML
    fi
}

start() {   # NAME: in the background; its log is appended to RUN/NAME/broker.log
    local n=$1 dir=$run/$1
    alive "$n" && { echo "$n is already running" >&2; return 1; }
    write_config "$n"
    if [ "$IT_REF" = 1 ]; then
        nohup java -Xms128M -Xmx384M -XX:+UseSerialGC -Dlog4j.configurationFile="$dir/conf/log4j2.properties" \
            -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$dir" -Dactivemq.conf="$dir/conf" \
            -Dactivemq.data="$dir/data" -jar /usr/share/activemq/bin/activemq.jar start \
            "xbean:file:$dir/conf/activemq.xml" >> "$dir/broker.log" 2>&1 &
    else
        # the lease's fault seam: RUN/fault-NAME saying "stall" or "fail" (absent: no fault)
        HERMOD_FAULT_LEASE="$run/fault-$n" "$HERMOD" --config "$dir/hermod.xml" >> "$dir/broker.log" 2>&1 &
    fi
    echo $! > "$dir/pid"
}

wait_gone() {   # NAME SECS
    local p i; p=$(pid_of "$1")
    [ -n "$p" ] || return 0
    for i in $(seq 1 $(($2 * 20))); do
        running "$p" || { rm -f "$run/$1/pid"; return 0; }
        sleep 0.05
    done
    return 1
}

stop_one() {   # NAME: SIGCONT (if paused), SIGTERM, then SIGKILL after 30 s
    local p; p=$(pid_of "$1")
    [ -n "$p" ] || return 0
    kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null
    wait_gone "$1" 30 || { kill -KILL "$p" 2>/dev/null; wait_gone "$1" 5; }
}

primary() {   # SECS
    local i n
    for i in $(seq 1 $((${1:-30} * 10))); do
        for n in a b; do
            if alive "$n" && ! paused "$n" && port_open "$(port_of "$n")"; then echo "$n"; return 0; fi
        done
        sleep 0.1
    done
    return 1
}

case "$cmd" in
    fresh)
        stop_one a; stop_one b
        rm -rf "$run/a" "$run/b" "$run/shared"; mkdir -p "$run/shared"
        start a && [ "$(primary 60)" = a ] && start b ;;
    start) start "$name" ;;
    kill9) p=$(pid_of "$name"); [ -n "$p" ] && kill -KILL "$p"; wait_gone "$name" 10 ;;
    term) p=$(pid_of "$name"); [ -n "$p" ] && kill -TERM "$p"; wait_gone "$name" 30 ;;
    pause) kill -STOP "$(pid_of "$name")" ;;
    resume) kill -CONT "$(pid_of "$name")" ;;
    primary) primary "${3:-30}" ;;
    serving) alive "$name" && port_open "$(port_of "$name")" ;;
    pid) pid_of "$name" ;;
    stopall) stop_one a; stop_one b ;;
    verify)
        stop_one a; stop_one b
        if [ "$IT_REF" = 1 ]; then exit 0; fi
        "$HERMOD" store verify "$run/shared" > "$run/verify.log" 2>&1 || { cat "$run/verify.log" >&2; exit 1; } ;;
    *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
