#!/usr/bin/env bash
# The broker process as a user sees it (issue 2): a graceful stop on SIGTERM and SIGINT, a clear
# error and a non-zero exit for a bad configuration, and --check-config.
#   test/interop/lifecycle/run.sh /abs/path/hermod        (port 62090, or IT_PORT)
# One "PASS: name" / "FAIL: name" line per test on stdout.
set -u
hermod=${1:?hermod binary}
root=$(cd "$(dirname "$0")/../../.." && pwd)
port=${IT_PORT:-62090}
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
