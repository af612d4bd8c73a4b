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

port=${IT_PORT:-61200}
logs=$IT_ROOT/build/interop-logs/delivery
classes=$IT_ROOT/build/interop-classes/delivery
run=$IT_ROOT/build/interop-run/delivery
mkdir -p "$logs"
names=$logs/names.txt
results=$logs/results.txt
: > "$results"
: > "$logs/details.log"
jpid=""
reported=0
finish() {
    [ -n "$jpid" ] && kill "$jpid" 2>/dev/null
    # The JVM may have restarted the broker: act on the live one.
    [ -n "$IT_BROKER_DIR" ] && it_broker_adopt "$IT_BROKER_DIR"
    it_broker_stop
    if [ $reported = 0 ] && [ -s "$names" ]; then
        it_report "$names" "$results" "suite interrupted"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

srcs=("$here"/java/hermodit/delivery/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: delivery_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.delivery.DeliverySuite --list > "$names"
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi

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
# Started in a subshell so the broker is nobody's child here: brokerctl.sh (run by the JVM)
# and this shell then see its exit the same way.
if ! ( it_broker_start "$port" "$run" ); then
    reported=1
    it_report "$names" /dev/null "broker did not start on port $port"
    exit 1
fi
it_broker_adopt "$run"
[ "$IT_REF" = 1 ] && bname=ref || bname=itest
timeout 280 java -Xmx256m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$port -Dit.ref=$IT_REF \
    -Dit.brokerName=$bname -Dit.brokerDir="$run" -Dit.ctl="$here/../common/brokerctl.sh" \
    hermodit.delivery.DeliverySuite ${IT_ONLY:+--only "$IT_ONLY"} > "$results" 2>> "$logs/details.log" &
jpid=$!
wait "$jpid"
rc=$?
jpid=""
[ $rc = 124 ] && echo "suite JVM killed after 280 s" >> "$logs/details.log"
it_broker_adopt "$run"
it_broker_alive || echo "broker on port $port was not running at the end of the suite" >> "$logs/details.log"
cat "$logs/details.log" >&2
reported=1
it_report "$names" "$results" "no verdict (JVM exit $rc)"
