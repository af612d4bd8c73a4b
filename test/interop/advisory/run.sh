#!/usr/bin/env bash
# Advisory interop suite (issue 6): ActiveMQ's advisory topics watched through the real ActiveMQ
# JMS client, against hermod or (REF=1 / --ref) the reference ActiveMQ 5.17.
#   test/interop/advisory/run.sh /abs/path/to/hermod
#   REF=1 test/interop/advisory/run.sh
# One "PASS: <name>" / "FAIL: <name>" line per test on stdout; details on stderr and in
# build/interop-logs/advisory/.  One broker, one JVM, port 61000 (IT_PORT overrides).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((61000 + ${IT_PORT_SHIFT:-0}))}
# The optional advisories the suite judges, the same policy for both brokers: slow consumers on
# adv.slow.>, consumed messages on queues adv.consumed.>, messages nobody receives on adv.nocons.>.
policy='<policyEntry queue="adv.slow.>" advisoryForSlowConsumers="true"/>'
policy+='<policyEntry topic="adv.slow.>" advisoryForSlowConsumers="true"/>'
policy+='<policyEntry queue="adv.consumed.>" advisoryForConsumed="true"/>'
policy+='<policyEntry topic="adv.nocons.>" sendAdvisoryIfNoConsumers="true"/>'
policy+='<policyEntry queue="adv.nocons.>" sendAdvisoryIfNoConsumers="true"/>'
export IT_BROKER_XML="<destinationPolicy><policyMap><policyEntries>$policy</policyEntries></policyMap></destinationPolicy>"
# persistent like the reference, so expired and poison messages reach the DLQ the same way
export IT_PERSISTENT=1

it_suite_setup advisory hermodit.advisory.AdvisorySuite || exit 1
it_broker_start "$port" "$IT_ROOT/build/interop-run/advisory" || it_suite_abort "broker did not start"
[ "$IT_REF" = 1 ] && bname=ref || bname=itest
it_suite_java 250 -Xmx256m -Dit.port=$port -Dit.brokerName=$bname
