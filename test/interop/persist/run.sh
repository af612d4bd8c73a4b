#!/usr/bin/env bash
# Persistence interop suite (issue 4): the real ActiveMQ JMS client against a persistent broker
# that the suite itself restarts (SIGTERM) and crashes (kill -9) between and during tests.
#   test/interop/persist/run.sh /abs/path/to/hermod      judge hermod (Berkeley DB store)
#   REF=1 test/interop/persist/run.sh   (or --ref)       same tests against ActiveMQ 5.17 (KahaDB)
#   CYCLES=N (default 20) crash-harness cycles; SOAK=200 is the same with 200 cycles and no
#   suite time limit; SEED=n repeats a harness run; IT_ONLY=a,b runs a subset; IT_PORT moves it;
#   IT_CLIENT_OPTIONS=jms.sendAcksAsync=true (client URL options that override the suite's) is a
#   self-check: with async acks the harness must report acked messages delivered again.
# Prints exactly one "PASS: <name>" / "FAIL: <name>" per test on stdout; details on stderr and in
# build/interop-logs/persist/. Three brokers in turn: the main one (port 62700) for every test but
# the store-limit ones, which need a 1 MB store limit: store_limit_send_fails with
# sendFailIfNoSpace (port 62701), store_limit_producer_blocks without it (port 62702).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
it_parse_args "$@" || exit 2

port=${IT_PORT:-$((62700 + ${IT_PORT_SHIFT:-0}))}
port2=$((port + 1))
port3=$((port + 2))
cycles=${SOAK:-${CYCLES:-20}}
logs=$IT_ROOT/build/interop-logs/persist
classes=$IT_ROOT/build/interop-classes/persist
run1=$IT_ROOT/build/interop-run/persist
run2=$IT_ROOT/build/interop-run/persist-limit
run3=$IT_ROOT/build/interop-run/persist-block
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

srcs=("$here"/java/hermodit/persist/*.java "$here"/../common/java/hermodit/*.java)
if ! it_compile "$classes" "${srcs[@]}"; then
    echo "javac failed" >&2
    echo "FAIL: persist_suite_compiles"
    exit 1
fi
java -cp "$classes:$IT_CP" hermodit.persist.PersistSuite --list > "$names"
if [ -n "${IT_ONLY:-}" ]; then
    tr ',' '\n' <<< "$IT_ONLY" > "$names"
fi
limit_test=store_limit_send_fails
block_test=store_limit_producer_blocks
main_tests=$(grep -v -x -e "$limit_test" -e "$block_test" "$names" | paste -sd, -)

# run_phase PORT DIR TESTS JAVA_OPTS...: one broker, one JVM for the given tests.
run_phase() {
    local p=$1 dir=$2 tests=$3; shift 3
    [ -n "$tests" ] || return 0
    # Started in a subshell so the broker is nobody's child here: brokerctl.sh (run by the JVM)
    # and this shell then see its exit the same way.
    if ! ( it_broker_start "$p" "$dir" ); then
        tr ',' '\n' <<< "$tests" | sed 's/^/FAIL: /' >> "$results"
        echo "broker did not start on port $p" >&2
        return 1
    fi
    it_broker_adopt "$dir"
    local limit=$((300 + cycles * 15))
    [ -n "${SOAK:-}" ] && limit=$((240 + cycles * 30))
    timeout $limit java -Xmx384m -XX:+UseSerialGC -cp "$classes:$IT_CP" -Dit.port=$p -Dit.ref=$IT_REF \
        -Dit.brokerDir="$dir" -Dit.ctl="$here/../common/brokerctl.sh" -Dit.cycles=$cycles \
        ${SEED:+-Dit.seed=$SEED} ${IT_CLIENT_OPTIONS:+-Dit.clientOptions=$IT_CLIENT_OPTIONS} "$@" \
        hermodit.persist.PersistSuite --only "$tests" >> "$results" 2>> "$logs/details.log" &
    jpid=$!
    wait "$jpid"
    local rc=$?
    jpid=""
    [ $rc = 124 ] && echo "suite JVM killed after $limit s" >> "$logs/details.log"
    it_broker_adopt "$dir"
    it_broker_alive || echo "broker on port $p was not running at the end of the phase" >> "$logs/details.log"
    it_broker_stop
    IT_BROKER_DIR=""
    return 0
}

IT_PERSISTENT=1 IT_BROKER_XML="" run_phase "$port" "$run1" "$main_tests"
if grep -q -x "$limit_test" "$names"; then
    limit_xml='<systemUsage><systemUsage sendFailIfNoSpace="true"><storeUsage><storeUsage limit="1 mb"/></storeUsage></systemUsage></systemUsage>'
    if [ "$IT_REF" = 1 ]; then
        # KahaDB's default 32 MB journal file is larger than the whole limit (the reference then
        # refuses every send); small journal files and quick clean-up make 1 MB meaningful.
        limit_xml="<persistenceAdapter><kahaDB directory=\"$run2/ref/data/kahadb\" journalMaxFileLength=\"128kb\" cleanupInterval=\"1000\" checkpointInterval=\"1000\"/></persistenceAdapter>$limit_xml"
    fi
    IT_PERSISTENT=1 IT_BROKER_XML=$limit_xml run_phase "$port2" "$run2" "$limit_test" -Dit.storeLimited=true
fi
if grep -q -x "$block_test" "$names"; then
    # The same limit without sendFailIfNoSpace: producers wait for room instead of failing.
    block_xml='<systemUsage><systemUsage><storeUsage><storeUsage limit="1 mb"/></storeUsage></systemUsage></systemUsage>'
    if [ "$IT_REF" = 1 ]; then
        block_xml="<persistenceAdapter><kahaDB directory=\"$run3/ref/data/kahadb\" journalMaxFileLength=\"128kb\" cleanupInterval=\"1000\" checkpointInterval=\"1000\"/></persistenceAdapter>$block_xml"
    fi
    IT_PERSISTENT=1 IT_BROKER_XML=$block_xml run_phase "$port3" "$run3" "$block_test" -Dit.storeBlocking=true
fi
cat "$logs/details.log" >&2
reported=1
it_report "$names" "$results" "no verdict"
