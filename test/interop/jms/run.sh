#!/usr/bin/env bash
# JMS interop suite (issue 2): the real ActiveMQ JMS client against hermod.
#   test/interop/jms/run.sh /abs/path/to/hermod      judge hermod
#   REF=1 test/interop/jms/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# Prints exactly one "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr
# and in build/interop-logs/jms/. All tests run in one JVM against one broker (port 62000).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62000 + ${IT_PORT_SHIFT:-0}))}  # IT_PORT overrides, e.g. to run two copies side by side
it_suite_setup jms hermodit.jms.JmsSuite || exit 1
it_broker_start "$port" "$IT_ROOT/build/interop-run/jms" || it_suite_abort "broker did not start"
[ "$IT_REF" = 1 ] && bname=ref || bname=itest
it_suite_java 280 -Xmx384m -Dit.port=$port -Dit.brokerName=$bname
