#!/usr/bin/env bash
# Paging interop suite (issue 14): deep persistent backlogs in bounded memory, with the real
# ActiveMQ JMS client.  The broker runs persistent with a small memory limit (8 MB), so every
# backlog here is several times what the broker may keep in memory; the JVM restarts and crashes
# it through common/brokerctl.sh and reads its resident memory from /proc.
#   test/interop/paging/run.sh /abs/path/to/hermod      judge hermod (Berkeley DB store)
#   REF=1 test/interop/paging/run.sh   (or --ref)       the same against ActiveMQ 5.17 (KahaDB);
#                                                       its memory is logged, not judged (a JVM
#                                                       heap), and four checks it fails (a
#                                                       selector, a browser or the expiry sweep
#                                                       past the first page, strict priority
#                                                       across pages) are
#                                                       logged and tolerated there
#   IT_ONLY=a,b runs a subset; IT_PORT (default 63100, moved by IT_PORT_SHIFT) moves it;
#   PAGING_N=n sets the deep backlog (default 30000 messages of 1 KiB).
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and
# in build/interop-logs/paging/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((63100 + ${IT_PORT_SHIFT:-0}))}
run=$IT_ROOT/build/interop-run/paging
it_suite_setup paging hermodit.paging.PagingSuite || exit 1
rm -rf "$run"
IT_BROKER_XML='<systemUsage><systemUsage><memoryUsage><memoryUsage limit="8 mb"/></memoryUsage></systemUsage></systemUsage>'
# the expiry sweep test's queues are swept every 500 ms and read through the statistics plugin
# (the first entry repeats refbroker.sh's own, which a suite's policy replaces)
IT_BROKER_XML+='<destinationPolicy><policyMap><policyEntries>
  <policyEntry queue=">" prioritizedMessages="true"/>
  <policyEntry queue="it.paging.sweep.>" prioritizedMessages="true" expireMessagesPeriod="500"/>
</policyEntries></policyMap></destinationPolicy><plugins><statisticsBrokerPlugin/></plugins>'
export IT_BROKER_XML
export IT_PERSISTENT=1
( it_broker_start "$port" "$run" ) || it_suite_abort "broker did not start on port $port"
it_broker_adopt "$run"
it_suite_java 900 -Xmx384m -XX:+UseSerialGC -Dit.port=$port -Dit.brokerDir="$run" \
    -Dit.ctl="$here/../common/brokerctl.sh" -Dit.n=${PAGING_N:-30000}
