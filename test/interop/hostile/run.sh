#!/usr/bin/env bash
# Hostile-input suite (issue 2): malformed OpenWire closes that one connection, the broker stays
# up, other clients are unaffected.
#   test/interop/hostile/run.sh /abs/path/to/hermod      judge hermod
#   REF=1 test/interop/hostile/run.sh   (or --ref)       same tests against the reference ActiveMQ 5.17
# The broker gets wireFormat.maxFrameSize=1 MiB. One PASS/FAIL line per test on stdout; details
# on stderr and in build/interop-logs/hostile/. Port 62010.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62010 + ${IT_PORT_SHIFT:-0}))}  # IT_PORT overrides, e.g. to run two copies side by side
maxframe=1048576
it_suite_setup hostile hermodit.hostile.HostileSuite || exit 1
it_broker_start "$port" "$IT_ROOT/build/interop-run/hostile" "$maxframe" || it_suite_abort "broker did not start"
# The broker must survive every attack: a dead broker fails the whole suite.
IT_SUITE_BROKER_MUST_LIVE=1
it_suite_java 55 -Xmx256m -Dit.port=$port -Dit.maxFrame=$maxframe
