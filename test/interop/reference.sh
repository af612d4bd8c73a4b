#!/usr/bin/env bash
# Runs interop suites against the reference broker (Debian's ActiveMQ 5.17) instead of hermod,
# to show that what they expect is ActiveMQ's behaviour. Not part of the normal test run.
#   test/interop/reference.sh                 every suite that has a reference mode
#   test/interop/reference.sh delivery flow   just those suites
# Ends with one line per suite ("suite: N passed, N failed") and the totals. Suites that only
# make sense against hermod (lifecycle: hermod's own command line; bench/selbench: hermod's tools;
# selectors: a differential run that already compares with ActiveMQ's SelectorParser) are skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
skip=" lifecycle bench selbench selectors "
if [ $# -gt 0 ]; then
    suites=("$@")
else
    suites=()
    for s in "$here"/*/run.sh; do
        name=$(basename "$(dirname "$s")")
        [[ "$skip" == *" $name "* ]] || suites+=("$name")
    done
fi
logdir=$here/../../build/interop-logs/reference
mkdir -p "$logdir"
total_pass=0; total_fail=0; summary=()
for name in "${suites[@]}"; do
    [ -x "$here/$name/run.sh" ] || { echo "no suite $name" >&2; exit 2; }
    echo "== $name (reference ActiveMQ 5.17)"
    REF=1 timeout 1500 "$here/$name/run.sh" --ref 2> "$logdir/$name.log" | tee "$logdir/$name.out"
    p=$(grep -c '^PASS:' "$logdir/$name.out"); f=$(grep -c '^FAIL:' "$logdir/$name.out")
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    summary+=("$name: $p passed, $f failed")
done
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed (reference ActiveMQ; details in build/interop-logs/reference/)"
