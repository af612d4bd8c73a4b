#!/usr/bin/env bash
# Selector interop suite (issue 3 "Interop"): Java JMS consumers with selectors on queues and
# topics, a selector behind 4,990 non-matching messages, invalid selectors, a durable subscriber
# with a selector.
#   test/interop/selectors_jms/run.sh /abs/path/to/hermod    judge hermod (port 62750)
#   REF=1 test/interop/selectors_jms/run.sh   (or --ref)     same tests against ActiveMQ 5.17
#   IT_ONLY=a,b runs a subset; IT_PORT moves it.
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and
# in build/interop-logs/selectors_jms/. One persistent broker, one JVM.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62750 + ${IT_PORT_SHIFT:-0}))}
it_suite_setup selectors_jms hermodit.seljms.SelectorsJmsSuite || exit 1
# Persistent, so that the durable subscriber and the 5,000-message queue behave as in production.
IT_PERSISTENT=1 it_broker_start "$port" "$IT_ROOT/build/interop-run/selectors_jms" ||
    it_suite_abort "broker did not start"
it_suite_java 240 -Xmx384m -Dit.port=$port
