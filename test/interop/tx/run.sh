#!/usr/bin/env bash
# Transactions interop suite (issue 5): local JMS transactions, XA (ActiveMQXAConnectionFactory),
# XA recovery across kill -9, a small transaction manager with crashes injected, dead letters.
#   test/interop/tx/run.sh /abs/path/to/hermod      judge hermod (persistent, Berkeley DB store)
#   REF=1 test/interop/tx/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# Prints exactly one "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr
# and in build/interop-logs/tx/. One broker (port 62800, proxy 62801), one JVM. The JVM asks this
# script to kill -9 and restart the broker through a pair of FIFOs ("crash" -> "ok"/"fail").
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62800 + ${IT_PORT_SHIFT:-0}))}  # IT_PORT overrides (the proxy uses IT_PORT+1)
ctl=$IT_ROOT/build/interop-run/tx-ctl
it_suite_setup tx hermodit.tx.TxSuite || exit 1
IT_SUITE_ON_EXIT='exec 3<&- 4<&- 2>/dev/null; rm -rf "$ctl"'

# Shared dead letters go to ActiveMQ.DLQ (the default); queues under TX.IDLQ. get their own
# DLQ.<queue> (individualDeadLetterStrategy).
policy='<destinationPolicy><policyMap><policyEntries>
      <policyEntry queue="TX.IDLQ.>"><deadLetterStrategy><individualDeadLetterStrategy queuePrefix="DLQ." useQueueForQueueMessages="true"/></deadLetterStrategy></policyEntry>
    </policyEntries></policyMap></destinationPolicy>'
IT_PERSISTENT=1 IT_BROKER_XML=$policy it_broker_start "$port" "$IT_ROOT/build/interop-run/tx" ||
    it_suite_abort "broker did not start"

rm -rf "$ctl"; mkdir -p "$ctl"
mkfifo "$ctl/req" "$ctl/resp"
exec 3<> "$ctl/req" 4<> "$ctl/resp"   # read-write: neither side ever blocks on open
it_suite_java_start 300 -Xmx384m -Dit.port=$port -Dit.proxyPort=$((port + 1)) ${IT_JAVA_OPTS:-} \
    -Dit.ctlReq="$ctl/req" -Dit.ctlResp="$ctl/resp"
while kill -0 "$IT_SUITE_JPID" 2>/dev/null; do
    if read -r -t 1 -u 3 cmd; then
        case "$cmd" in
            crash)
                if it_broker_kill9 && it_broker_resume; then echo ok >&4; else echo fail >&4; fi ;;
            *) echo "unknown request $cmd" >&2; echo fail >&4 ;;
        esac
    fi
done
it_suite_java_end
