#!/usr/bin/env bash
# Runs every test hermod has and ends with the line "N passed, N failed".
#   test/run_tests.sh                 debug: everything; then asan: unit tests and fuzz replays
#   test/run_tests.sh VARIANT         everything on one variant (debug, asan, ubsan, release)
# Unit tests: every CUnit executable build/<variant>/test/unit/*_test (counted per CUnit test).
# Fuzz replays: every build/<variant>/test/fuzz/<name>_replay over test/fuzz/<name>/{corpus,crashes}.
# Interop: every test/interop/<suite>/run.sh <absolute hermod binary path>, whose lines "PASS: name" / "FAIL: name" are counted.
# Without an argument, also the libFuzzer targets are compiled once (clang), so they cannot rot.
set -u
cd "$(dirname "$0")/.."
variant=${1:-debug}
also_asan=0; [ $# -eq 0 ] && also_asan=1
# gcc 12's sigaltstack interceptor reports a false stack-buffer-overflow when APR threads exit
export ASAN_OPTIONS=${ASAN_OPTIONS:-use_sigaltstack=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logdir=build/test-logs/$variant
mkdir -p "$logdir"
pass=0; fail=0
result() {  # result PASS|FAIL name [detail]
    if [ "$1" = PASS ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    echo "$1: $2${3:+ ($3)}"
}

# unit_and_fuzz VARIANT: builds the variant and runs its CUnit tests and fuzz-corpus replays.
unit_and_fuzz() {
    local variant=$1 logdir=build/test-logs/$1
    mkdir -p "$logdir"
    if ! scons -Q -j2 variant="$variant" tests > "$logdir/build.log" 2>&1; then
        tail -40 "$logdir/build.log"
        result FAIL "build ($variant)" "see $logdir/build.log"
        return 1
    fi

    for t in build/"$variant"/test/unit/*_test; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        timeout 600 "$t" > "$logdir/$name.log" 2>&1; rc=$?
        # CUnit's summary row: "tests  Total  Ran  Passed  Failed  Inactive"
        read -r ok bad < <(awk '$1 == "tests" { print $4, $5 }' "$logdir/$name.log")
        if [ -z "${ok:-}" ]; then
            result FAIL "$name" "no CUnit summary, exit $rc, see $logdir/$name.log"; continue
        fi
        grep -E '^ +Test: .*\.\.\.FAILED|^ +[0-9]+\. ' "$logdir/$name.log" | head -20
        pass=$((pass + ok)); fail=$((fail + bad))
        echo "unit $name ($variant): $ok passed, $bad failed"
        if [ "$bad" = 0 ] && [ "$rc" != 0 ]; then result FAIL "$name ($variant)" "exit $rc after its tests"; fi
    done

    for r in build/"$variant"/test/fuzz/*_replay; do
        [ -x "$r" ] || continue
        name=$(basename "$r" _replay)
        if timeout 600 "$r" "test/fuzz/$name/corpus" "test/fuzz/$name/crashes" > "$logdir/fuzz-$name.log" 2>&1; then
            result PASS "fuzz replay $name ($variant)" "$(tail -1 "$logdir/fuzz-$name.log")"
        else
            result FAIL "fuzz replay $name ($variant)" "see $logdir/fuzz-$name.log"
        fi
    done
}

if ! unit_and_fuzz "$variant"; then
    echo "$pass passed, $fail failed"
    exit 1
fi

for suite in test/interop/*/run.sh; do
    [ -x "$suite" ] || continue
    name=$(basename "$(dirname "$suite")")
    while IFS= read -r line; do
        case "$line" in
            PASS:*) pass=$((pass + 1)); echo "$line" ;;
            FAIL:*) fail=$((fail + 1)); echo "$line" ;;
            *) echo "$line" >> "$logdir/interop-$name.log" ;;
        esac
    done < <(timeout 1200 "$suite" "$PWD/build/$variant/hermod" 2>&1)
done

# memory errors in the unit tests and fuzz corpora, under AddressSanitizer
if [ "$also_asan" = 1 ]; then
    unit_and_fuzz asan
    # the libFuzzer targets (clang) must keep compiling, or nobody runs them
    if scons -Q -j2 variant=fuzz fuzzers > build/test-logs/fuzz-build.log 2>&1; then
        result PASS "fuzz targets build (scons variant=fuzz fuzzers)"
    else
        tail -20 build/test-logs/fuzz-build.log
        result FAIL "fuzz targets build (scons variant=fuzz fuzzers)" "see build/test-logs/fuzz-build.log"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
