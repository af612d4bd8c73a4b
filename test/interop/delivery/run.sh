#!/usr/bin/env bash
# Delivery-semantics interop suite (issue 6): priority, TTL/DLQ, message groups, exclusive and
# prioritised consumers, destination options, virtual topics, composite queues and the
# statistics plugin, through the real ActiveMQ JMS client.
#   test/interop/delivery/run.sh /abs/path/to/hermod    judge hermod
#   REF=1 test/interop/delivery/run.sh   (or --ref)     same tests against ActiveMQ 5.17 (the reference run)
#   IT_ONLY=a,b runs a subset; IT_PORT moves it (default 61200).
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and in
# build/interop-logs/delivery/. One persistent broker (hermod: Berkeley DB, reference: KahaDB),
# configured with a compositeQueue, the default virtual topic and the statisticsBrokerPlugin;
# one JVM, which restarts the broker through common/brokerctl.sh for priority_after_restart.
# Scheduled delivery (AMQ_SCHEDULED_DELAY, period/repeat, restart) is test/interop/sched's.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((61200 + ${IT_PORT_SHIFT:-0}))}
run=$IT_ROOT/build/interop-run/delivery
it_suite_setup delivery hermodit.delivery.DeliverySuite || exit 1

# Configuring <destinationInterceptors> replaces ActiveMQ's default VirtualTopic.> interceptor
# (hermod does the same), so the virtual topic is listed next to the composite queue.
IT_BROKER_XML='<plugins><statisticsBrokerPlugin/></plugins>
  <destinationInterceptors><virtualDestinationInterceptor><virtualDestinations>
    <virtualTopic name="VirtualTopic.>" prefix="Consumer.*."/>
    <compositeQueue name="IT.Composite.In"><forwardTo>
      <queue physicalName="IT.Composite.OutQ"/>
      <topic physicalName="IT.Composite.OutT"/>
    </forwardTo></compositeQueue>
    <compositeQueue name="IT.Composite.Filter"><forwardTo>
      <filteredDestination selector="color = &apos;red&apos;" queue="IT.Composite.Red"/>
      <queue physicalName="IT.Composite.All"/>
    </forwardTo></compositeQueue>
    <compositeTopic name="IT.CompositeTopic.In"><forwardTo>
      <queue physicalName="IT.CompositeTopic.OutQ"/>
    </forwardTo></compositeTopic>
  </virtualDestinations></virtualDestinationInterceptor></destinationInterceptors>'
export IT_BROKER_XML
export IT_PERSISTENT=1
( it_broker_start "$port" "$run" ) || it_suite_abort "broker did not start on port $port"
it_broker_adopt "$run"
[ "$IT_REF" = 1 ] && bname=ref || bname=itest
it_suite_java 280 -Xmx256m -Dit.port=$port -Dit.brokerName=$bname -Dit.brokerDir="$run" \
    -Dit.ctl="$here/../common/brokerctl.sh"
