#!/usr/bin/env bash
# Benchmark tool suite (issue 7): builds clients/bench and runs tiny workloads against hermod,
# asserting exact message counts and zero errors. Not timed; it never starts ActiveMQ.
#   test/interop/bench/run.sh /abs/path/to/hermod
# Prints one PASS/FAIL line per test on stdout; details in build/interop-logs/bench/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
# shellcheck disable=SC2034  # IT_REF is read by lib.sh (it_broker_start)
IT_REF=0
IT_HERMOD=${1:-}
tests=(bench_builds bench_queue_500_exact bench_topic_1to2_exact bench_request_reply_exact
       bench_selector_prefill_exact bench_rate_paced_duration bench_workload_mix_exact
       bench_rejects_bad_workload bench_unsupported_is_clean bench_xa_2pc_exact
       bench_startup_fill_restart_probe)
if [ -z "$IT_HERMOD" ]; then
    echo "usage: run.sh HERMOD_BINARY" >&2
    for t in "${tests[@]}"; do echo "FAIL: $t"; done
    exit 2
fi
port=${BENCH_IT_PORT:-$((62390 + ${IT_PORT_SHIFT:-0}))}
logs=$IT_ROOT/build/interop-logs/bench
mkdir -p "$logs"
trap 'it_broker_stop' EXIT
trap 'exit 130' INT TERM
declare -A verdict

pass() { verdict[$1]=PASS; }
fail() { verdict[$1]=FAIL; echo "  $1: $2" >&2; }

# get FILE KEY: a value from the tool's --out file.
get() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }

# bench NAME ARGS...: runs the tool with --out, output to the log; sets rc.
bench() {
    local name=$1; shift
    timeout 60 java -Xmx256m -cp "$CP" hermod.bench.Bench --url tcp://127.0.0.1:$port --quiet \
        --drain-timeout 10 --out "$logs/$name.res" "$@" > "$logs/$name.txt" 2>&1
    rc=$?
    cat "$logs/$name.txt" >&2
}

# expect_exact NAME WANT: status ok, exit 0, zero errors and exactly WANT measured messages received.
expect_exact() {
    local name=$1 want=$2 r=$logs/$1.res
    if [ $rc != 0 ]; then fail "$name" "exit status $rc"; return; fi
    if [ "$(get "$r" status)" != ok ]; then fail "$name" "status $(get "$r" status)"; return; fi
    if [ "$(get "$r" errors)" != 0 ]; then fail "$name" "errors $(get "$r" errors)"; return; fi
    if [ "$(get "$r" received)" != "$want" ] || [ "$(get "$r" expected)" != "$want" ]; then
        fail "$name" "received $(get "$r" received), expected-by-tool $(get "$r" expected), want $want"; return
    fi
    pass "$name"
}

report() {
    for t in "${tests[@]}"; do echo "${verdict[$t]:-FAIL}: $t"; done
}

if CP=$("$IT_ROOT/clients/bench/build.sh" 2> "$logs/build.txt"); then
    pass bench_builds
else
    cat "$logs/build.txt" >&2
    fail bench_builds "javac failed"
    report; exit 1
fi
if ! it_broker_start $port "$IT_ROOT/build/interop-run/bench"; then
    echo "hermod did not start" >&2
    report; exit 1
fi

bench bench_queue_500_exact --queue --dest it.bench.q --count 500 --size 1024
expect_exact bench_queue_500_exact 500

bench bench_topic_1to2_exact --topic --dest it.bench.t --consumers 2 --count 500 --size 512
expect_exact bench_topic_1to2_exact 1000

bench bench_request_reply_exact --request-reply --dest it.bench.rr --count 200 --size 128
expect_exact bench_request_reply_exact 200

# 1000 messages already waiting, every 10th matching, then 300 more: the selector consumer
# must get exactly the 30 matching live ones and all 100 matching prefilled ones.
bench bench_selector_prefill_exact --queue --dest it.bench.sel --prefill 1000 --count 300 \
    --selector "region = 'EU'" --match-every 10 --size 256
expect_exact bench_selector_prefill_exact 30
if [ "${verdict[bench_selector_prefill_exact]}" = PASS ] \
   && ! grep -q "prefill: received 100 of 100" "$logs/bench_selector_prefill_exact.txt"; then
    fail bench_selector_prefill_exact "prefilled matching messages not all received"
fi

# Duration mode with a target rate: about rate*duration messages, all received, and latency
# samples for each.
bench bench_rate_paced_duration --queue --dest it.bench.rate --rate 200 --warmup 1 --duration 2 --size 64
r=$logs/bench_rate_paced_duration.res
sent=$(get "$r" sent)
if [ $rc = 0 ] && [ "$(get "$r" status)" = ok ] && [ -n "$sent" ] && [ "$sent" -ge 360 ] && [ "$sent" -le 420 ] \
   && [ "$(get "$r" received)" = "$sent" ] && [ "$(get "$r" samples)" = "$sent" ]; then
    pass bench_rate_paced_duration
else
    fail bench_rate_paced_duration "rc $rc, status $(get "$r" status), sent $sent (want 360..420), received $(get "$r" received), samples $(get "$r" samples)"
fi

# A workload file without transactions or durable subscriptions, in count mode.
mix=$logs/mix.json
cat > "$mix" <<'J'
// two flows: a queue and a fan-out topic
{ "name": "it-mix", "rate": 0, "duration": 2, "warmup": 0,
  "flows": [
    {"name": "orders", "destination": "it.mix.q", "type": "queue", "sizes": [[100, 1], [2000, 1]], "persistent": 0.5},
    {"name": "prices", "destination": "it.mix.t", "type": "topic", "consumers": 3, "size": 300}
  ] }
J
bench bench_workload_mix_exact --workload "$mix"
r=$logs/bench_workload_mix_exact.res
q=$(get "$r" flow.orders.received); qe=$(get "$r" flow.orders.expected)
t=$(get "$r" flow.prices.received); te=$(get "$r" flow.prices.expected)
if [ $rc = 0 ] && [ "$(get "$r" status)" = ok ] && [ -n "$q" ] && [ "$q" -gt 0 ] && [ "$q" = "$qe" ] \
   && [ -n "$t" ] && [ "$t" -gt 0 ] && [ "$t" = "$te" ] && [ $((te % 3)) = 0 ]; then
    pass bench_workload_mix_exact
else
    fail bench_workload_mix_exact "rc $rc status $(get "$r" status) orders $q/$qe prices $t/$te"
fi

# A typo in a workload file is a usage error naming the key, not a run.
echo '{"flows": [{"destination": "x", "persistant": 1}]}' > "$logs/bad.json"
bench bench_rejects_bad_workload --workload "$logs/bad.json"
if [ $rc = 2 ] && grep -q 'unknown key "persistant"' "$logs/bench_rejects_bad_workload.txt"; then
    pass bench_rejects_bad_workload
else
    fail bench_rejects_bad_workload "rc $rc"
fi

# A feature the broker lacks gives exit 3 and status=unsupported; one it has must run (exit 0).
# Either way the tool must not crash or hang.
bench bench_unsupported_is_clean --queue --dest it.bench.tx --tx-batch 10 --count 100
r=$logs/bench_unsupported_is_clean.res
if [ $rc = 3 ] && [ "$(get "$r" status)" = unsupported ] && grep -q '^UNSUPPORTED: transactions' "$logs/bench_unsupported_is_clean.txt"; then
    pass bench_unsupported_is_clean
elif [ $rc = 0 ] && [ "$(get "$r" received)" = 100 ]; then
    pass bench_unsupported_is_clean
else
    fail bench_unsupported_is_clean "rc $rc status $(get "$r" status) received $(get "$r" received)"
fi

# XA two-phase commits, two resources, two transaction-manager threads: every committed global
# transaction's forwarded message arrives exactly once and no input message is consumed twice.
bench bench_xa_2pc_exact --xa --dest it.bench.xa --workers 2 --warmup 0 --duration 2 --size 128
r=$logs/bench_xa_2pc_exact.res
c=$(get "$r" expected_all_phases)
if [ $rc = 0 ] && [ "$(get "$r" status)" = ok ] && [ "$(get "$r" errors)" = 0 ] && [ -n "$c" ] && [ "$c" -gt 0 ] \
   && [ "$(get "$r" received_all_phases)" = "$c" ] && [ "$(get "$r" samples)" -gt 0 ]; then
    pass bench_xa_2pc_exact
else
    fail bench_xa_2pc_exact "rc $rc status $(get "$r" status) committed $c out-received $(get "$r" received_all_phases) errors $(get "$r" errors)"
fi

if ! it_broker_alive; then
    echo "hermod died during the suite" >&2
    for t in "${tests[@]}"; do [ "${verdict[$t]:-}" = PASS ] && [ "$t" != bench_builds ] && verdict[$t]=FAIL; done
fi
it_broker_stop

# The start-up row's two halves on a small store: fill 3000 persistent messages, stop hermod
# gracefully, start it again with the probe waiting; the probe must see the port, a connection,
# a first message, and the statistics plugin must count all 3000.
t=bench_startup_fill_restart_probe
if IT_PERSISTENT=1 IT_BROKER_XML="<plugins><statisticsBrokerPlugin/></plugins>" \
   it_broker_start $port "$IT_ROOT/build/interop-run/bench-startup"; then
    timeout 120 java -Xmx256m -cp "$CP" hermod.bench.Startup fill --url tcp://127.0.0.1:$port --queue it.startup \
        --count 3000 --producers 3 --batch 100 --size 150 --out "$logs/$t-fill.res" > "$logs/$t-fill.txt" 2>&1
    frc=$?
    it_broker_stop
    rm -f "$logs/$t.ready"
    timeout 120 java -Xmx256m -cp "$CP" hermod.bench.Startup probe --url tcp://127.0.0.1:$port --queue it.startup \
        --ready "$logs/$t.ready" --out "$logs/$t-probe.res" --timeout 60 > "$logs/$t-probe.txt" 2>&1 &
    pp=$!
    for _ in $(seq 1 1500); do [ -f "$logs/$t.ready" ] && break; kill -0 $pp 2>/dev/null || break; sleep 0.02; done
    it_broker_adopt "$IT_ROOT/build/interop-run/bench-startup" && it_broker_resume
    wait $pp
    prc=$?
    cat "$logs/$t-fill.txt" "$logs/$t-probe.txt" >&2
    pr=$logs/$t-probe.res
    if [ $frc = 0 ] && [ "$(get "$logs/$t-fill.res" fill_messages)" = 3000 ] && [ $prc = 0 ] \
       && [ "$(get "$pr" status)" = ok ] && [ "$(get "$pr" queue_size)" = 3000 ] \
       && [ "$(get "$pr" listen_epoch_ms)" -le "$(get "$pr" first_epoch_ms)" ]; then
        pass $t
    else
        fail $t "fill rc $frc ($(get "$logs/$t-fill.res" fill_messages) filled), probe rc $prc status $(get "$pr" status) queue_size $(get "$pr" queue_size)"
    fi
    it_broker_stop
else
    fail $t "persistent hermod did not start"
fi
report
