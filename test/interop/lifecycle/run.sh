#!/usr/bin/env bash
# The broker process as a user sees it (issue 2): a graceful stop on SIGTERM and SIGINT, a clear
# error and a non-zero exit for a bad configuration, and --check-config.
#   test/interop/lifecycle/run.sh /abs/path/hermod        (port 62090, or IT_PORT)
# One "PASS: name" / "FAIL: name" line per test on stdout.
set -u
hermod=${1:?hermod binary}
root=$(cd "$(dirname "$0")/../../.." && pwd)
port=${IT_PORT:-$((62090 + ${IT_PORT_SHIFT:-0}))}
dir=$root/build/interop-run/lifecycle
rm -rf "$dir"; mkdir -p "$dir"
report() { if [ "$2" = 0 ]; then echo "PASS: $1"; else echo "FAIL: $1"; fi; }

cat > "$dir/ok.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="life" dataDirectory="$dir/data" persistent="true">
  <transportConnectors><transportConnector name="openwire" uri="tcp://127.0.0.1:$port"/></transportConnectors>
</broker>
XML

# stop_with SIGNAL: starts the broker, waits for its port, signals it; the broker must log its
# shutdown and exit 0 within 10 s.
stop_with() {
    "$hermod" --config "$dir/ok.xml" > "$dir/$1.log" 2>&1 &
    local pid=$! i
    for i in $(seq 1 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
        sleep 0.1
    done
    kill -"$1" "$pid"
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"; echo "still running 10 s after SIG$1" >&2; return 1
    fi
    wait "$pid"; local rc=$?
    grep -q "hermod stopped" "$dir/$1.log" && [ "$rc" = 0 ] || { cat "$dir/$1.log" >&2; echo "exit $rc" >&2; return 1; }
}
stop_with TERM; report graceful_stop_on_sigterm $?
stop_with INT; report graceful_stop_on_sigint $?

# a configuration with an unknown scheme on line 3: non-zero exit naming file, line and element
cat > "$dir/bad.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="life">
  <transportConnectors>
    <transportConnector name="x" uri="foo://127.0.0.1:$port"/>
  </transportConnectors>
</broker>
XML
timeout 10 "$hermod" --config "$dir/bad.xml" > "$dir/bad.log" 2>&1; rc=$?
[ "$rc" != 0 ] && grep -q "bad.xml:3: <transportConnector>" "$dir/bad.log"
report bad_config_names_file_line_element $?

timeout 10 "$hermod" --check-config "$root/conf/hermod.xml" > "$dir/check.log" 2>&1
report check_config_accepts_shipped_config $?
timeout 10 "$hermod" --check-config "$dir/bad.xml" > "$dir/check-bad.log" 2>&1
[ $? != 0 ]; report check_config_refuses_bad_config $?

# bdb_config NAME DATA PORT: $dir/NAME.xml, broker NAME with a Berkeley DB store in $dir/DATA
bdb_config() {
    cat > "$dir/$1.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="$1" dataDirectory="$dir/$2" persistent="true">
  <persistenceAdapter><bdb directory="$dir/$2/bdb"/></persistenceAdapter>
  <transportConnectors><transportConnector name="openwire" uri="tcp://127.0.0.1:$3"/></transportConnectors>
</broker>
XML
}

# A listener that cannot bind (its port taken) after the store and the signal thread started:
# exit 2 with the error, every time (exit handlers used to free the pools under the store's
# threads: a segfault in about one run in six).  12 runs, each bounded by 10 s.
bind_failure_exits_cleanly() {
    bdb_config busy busy "$port"
    python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("held", flush=True); time.sleep(120)' "$port" > "$dir/holder.log" 2>&1 &
    local holder=$! i rc bad=0
    for i in $(seq 1 50); do grep -q held "$dir/holder.log" && break; sleep 0.1; done
    for i in $(seq 1 12); do
        timeout 10 "$hermod" --config "$dir/busy.xml" > "$dir/busy-$i.log" 2>&1; rc=$?
        if [ "$rc" != 2 ] || ! grep -q "busy.xml:3: <transportConnector name=\"openwire\">: cannot listen on 127.0.0.1:$port" "$dir/busy-$i.log"; then
            echo "run $i: exit $rc" >&2; tail -3 "$dir/busy-$i.log" >&2; bad=1
        fi
    done
    kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
    return $bad
}
bind_failure_exits_cleanly; report listener_bind_failure_exits_cleanly $?

# users and permissions are enforced (test/interop/security): a configuration with them is valid;
# permissions without an authentication plugin would refuse every client, so that is refused
cat > "$dir/secured.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="life">
  <plugins>
    <simpleAuthenticationPlugin anonymousAccessAllowed="false">
      <users><authenticationUser username="admin" password="secret" groups="admins"/></users>
    </simpleAuthenticationPlugin>
  </plugins>
  <transportConnectors><transportConnector name="x" uri="tcp://127.0.0.1:$port"/></transportConnectors>
</broker>
XML
sed -e 's#<simpleAuthenticationPlugin anonymousAccessAllowed="false">#<authorizationPlugin><map><authorizationMap><authorizationEntries><authorizationEntry queue=">" read="admins" write="admins" admin="admins"/></authorizationEntries></authorizationMap></map></authorizationPlugin>#' \
    -e '/authenticationUser/d' -e '/simpleAuthenticationPlugin/d' "$dir/secured.xml" > "$dir/authz.xml"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
timeout 10 "$hermod" --check-config "$dir/secured.xml" > "$dir/secured-check.log" 2>&1 &&
    grep -q "configuration is valid" "$dir/secured-check.log"
report security_plugins_accepted $?
authz_refused() {  # exit 2 naming the file and what is missing, port never opened
    timeout 10 "$hermod" --config "$dir/authz.xml" > "$dir/refused.log" 2>&1; local rc=$?
    timeout 10 "$hermod" --check-config "$dir/authz.xml" > "$dir/refused-check.log" 2>&1; local crc=$?
    [ "$rc" = 2 ] && [ "$crc" = 2 ] &&
        grep -q "authz.xml: <authorizationPlugin> needs an authentication plugin" "$dir/refused.log" &&
        grep -q "needs an authentication plugin" "$dir/refused-check.log" && ! port_open "$port"
}
authz_refused; report authorization_without_authentication_refused $?

# ---- standby on a store whose lease another broker holds (issue 13: lifecycle) ----
# Two brokers on one store directory, ports $port and $port+1: the second waits in standby
# without listening, and takes over when the first stops or is killed.
port2=$((port + 1))
for n in a b; do
    p=$port; [ $n = b ] && p=$port2
    bdb_config "pair-$n" pair "$p"
done
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # wait_port PORT TENTHS: true once it accepts
    local i
    for i in $(seq 1 "$2"); do port_open "$1" && return 0; sleep 0.1; done
    return 1
}
wait_gone() {  # wait_gone PID TENTHS
    local i
    for i in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

# takeover HOW: a active, b standby (alive, not listening, says so); then a stops (TERM) or
# dies (KILL); b must become active and listen within 5 s.
takeover() {
    rm -rf "$dir/pair"
    "$hermod" --config "$dir/pair-a.xml" > "$dir/pair-a-$1.log" 2>&1 & local a=$!
    wait_port "$port" 100 || { echo "broker a did not start" >&2; kill -9 $a; return 1; }
    "$hermod" --config "$dir/pair-b.xml" > "$dir/pair-b-$1.log" 2>&1 & local b=$!
    sleep 2
    local rc=0
    kill -0 $b 2>/dev/null || { echo "standby broker exited" >&2; cat "$dir/pair-b-$1.log" >&2; rc=1; }
    port_open "$port2" && { echo "standby broker listens" >&2; rc=1; }
    grep -q "standby: the store's lock file is taken" "$dir/pair-b-$1.log" || { echo "no standby log line" >&2; rc=1; }
    kill -"$1" $a; wait $a 2>/dev/null
    wait_port "$port2" 50 || { echo "standby did not take over within 5 s" >&2; cat "$dir/pair-b-$1.log" >&2; rc=1; }
    grep -q "broker state: recovering -> active" "$dir/pair-b-$1.log" || { echo "no active log line" >&2; rc=1; }
    kill -TERM $b; wait_gone $b 100 || { kill -9 $b; echo "b did not stop" >&2; rc=1; }
    wait $b 2>/dev/null
    return $rc
}
takeover TERM; report standby_takes_over_after_stop $?
takeover KILL; report standby_takes_over_after_kill9 $?

# a standby stops at once on SIGTERM, exit 0, and the active broker is not disturbed
standby_stop() {
    rm -rf "$dir/pair"
    "$hermod" --config "$dir/pair-a.xml" > "$dir/pair-a-stop.log" 2>&1 & local a=$!
    wait_port "$port" 100 || { kill -9 $a; return 1; }
    "$hermod" --config "$dir/pair-b.xml" > "$dir/pair-b-stop.log" 2>&1 & local b=$!
    sleep 1
    kill -TERM $b
    local rc=0
    wait_gone $b 30 || { kill -9 $b; echo "standby did not stop within 3 s" >&2; rc=1; }
    wait $b; local brc=$?
    [ "$brc" = 0 ] || { echo "standby exit $brc" >&2; rc=1; }
    grep -q "hermod stopped (was standby)" "$dir/pair-b-stop.log" || rc=1
    port_open "$port" || { echo "active broker stopped listening" >&2; rc=1; }
    kill -TERM $a; wait $a 2>/dev/null
    return $rc
}
standby_stop; report standby_stops_on_sigterm $?

# ---- as a service (issue 18) ----
# SIGHUP (systemctl reload) is logged and changes nothing: the broker keeps serving.
sighup_keeps_running() {
    "$hermod" --config "$dir/ok.xml" > "$dir/hup.log" 2>&1 & local pid=$!
    wait_port "$port" 100 || { kill -9 $pid; return 1; }
    kill -HUP $pid; sleep 0.5
    local rc=0
    kill -0 $pid 2>/dev/null && port_open "$port" || { echo "stopped after SIGHUP" >&2; rc=1; }
    grep -q "SIGHUP: no TLS connector to reload; the rest of the configuration is not reloaded" "$dir/hup.log" || rc=1
    kill -TERM $pid; wait $pid 2>/dev/null
    return $rc
}
sighup_keeps_running; report sighup_logged_and_keeps_running $?

# Under systemd (JOURNAL_STREAM names stderr's device:inode) every line starts with its syslog
# priority and carries no timestamp of its own; a JOURNAL_STREAM that names another file (stderr
# redirected by a parent) changes nothing: lines start with an ISO timestamp.
journal_lines() {
    : > "$dir/journal.log"
    JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/journal.log") timeout 10 "$hermod" --check-config \
        "$root/conf/hermod.xml" >> "$dir/journal.log" 2>&1
    JOURNAL_STREAM=8:1234 timeout 10 "$hermod" --check-config "$root/conf/hermod.xml" > "$dir/other.log" 2>&1
    grep -qx '<6>INFO  .*configuration is valid' "$dir/journal.log" &&
        ! grep -v '^<[3467]>' "$dir/journal.log" | grep -q . &&
        grep -q '^20[0-9][0-9]-.*Z INFO .*configuration is valid' "$dir/other.log"
}
journal_lines; report journal_lines_carry_priority $?
