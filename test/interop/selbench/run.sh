#!/usr/bin/env bash
# Smoke test of the selector benchmark (clients/selbench), not timed:
#   test/interop/selbench/run.sh <absolute path of hermod binary>
# Runs the C benchmark tool (built next to the hermod binary, in <variant>/test/interop/
# selbench/) in --check mode (0.5 s per selector) and SelBench.java, ActiveMQ's own
# SelectorParser, over the same cases (clients/selbench/cases.txt), and prints one line per
# selector: PASS when both return identical results on every message (evaluate() and
# matches()), the C tool counted evaluations, and no timed evaluation disagreed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
hermod=${1:-$repo/build/debug/hermod}
tool=$(dirname "$hermod")/test/interop/selbench/selectors_bench_tool
cases=$repo/clients/selbench/cases.txt
J=/usr/share/java
cp="$J/activemq-client.jar:$J/geronimo-jms_1.1_spec.jar:$J/hawtbuf.jar:$J/slf4j-api.jar:$J/slf4j-nop.jar"

work=$(mktemp -d "${TMPDIR:-/tmp}/hermod-selbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ! -x "$tool" ]; then
    echo "FAIL: selbench (no $tool; build with scons tests)"
    exit 1
fi
if ! javac -nowarn -d "$work" -cp "$cp" "$repo/clients/selbench/SelBench.java" > "$work/javac.log" 2>&1; then
    cat "$work/javac.log"
    echo "FAIL: selbench (javac failed)"
    exit 1
fi
timeout 60 "$tool" --check "$cases" > "$work/c.tsv" 2> "$work/c.err"
crc=$?
timeout 60 java -cp "$work:$cp" SelBench --check --expect "$work/c.tsv" "$cases" > "$work/java.tsv" 2> "$work/java.err"
jrc=$?

/usr/bin/python3 - "$work" "$cases" "$crc" "$jrc" <<'PY'
import sys
work, cases, crc, jrc = sys.argv[1:]
why = lambda p: open(p).read().strip().replace('\n', ' ')[:200]
names = [l.split(' ', 2)[1] for l in open(cases) if l.startswith('SEL ')]
def load(p):
    d, bad = {}, {}
    for line in open(p):
        f = line.rstrip('\n').split('\t')
        if line.startswith('DISAGREE '):
            bad[line.split()[1].rstrip(':')] = line.strip()
        elif len(f) == 7 and not f[0].startswith('#'):
            d[f[0]] = (int(f[1]), f[6])
    return d, bad
c, _ = load(work + '/c.tsv')
j, disagree = load(work + '/java.tsv')
for n in names:
    if n in disagree:
        print('FAIL: selbench %s (%s)' % (n, disagree[n]))
    elif n not in c or n not in j:
        print('FAIL: selbench %s (no result: hermod exit %s %s, ActiveMQ exit %s %s)'
              % (n, crc, why(work + '/c.err'), jrc, why(work + '/java.err')))
    elif c[n][1] != j[n][1]:
        print('FAIL: selbench %s (ActiveMQ %s, hermod %s)' % (n, j[n][1], c[n][1]))
    elif c[n][0] <= 0 or j[n][0] <= 0:
        print('FAIL: selbench %s (no evaluations counted: hermod %d, ActiveMQ %d)' % (n, c[n][0], j[n][0]))
    else:
        print('PASS: selbench %s (%s; %d hermod, %d ActiveMQ evaluations)' % (n, c[n][1], c[n][0], j[n][0]))
PY
