#!/usr/bin/env bash
# Differential test of hermod's selector library against ActiveMQ 5.17's own SelectorParser:
#   test/interop/selectors/run.sh <absolute path of hermod binary>
# Builds SelEval.java against the ActiveMQ client jars, generates the hand-written cases
# (hand.txt) plus RANDOM_COUNT seeded random selectors (gen.py), evaluates every selector over
# the same messages with both, and prints PASS:/FAIL: lines.  Every case must agree on
# validity, on evaluate() (TRUE/FALSE/NULL/ERROR) and on matches() (T/F/E).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
hermod=${1:-$repo/build/debug/hermod}
variant_dir=$(dirname "$hermod")
tool=$variant_dir/test/interop/selectors/selectors_eval_tool
count=${RANDOM_COUNT:-6000}
seed=${RANDOM_SEED:-20260101}
J=/usr/share/java
cp="$J/activemq-client.jar:$J/activemq-broker.jar:$J/geronimo-jms_1.1_spec.jar:$J/hawtbuf.jar:$J/slf4j-api.jar:$J/slf4j-nop.jar"

work=$(mktemp -d "${TMPDIR:-/tmp}/hermod-selectors.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ! -x "$tool" ]; then
    echo "FAIL: selectors differential (no $tool; build with scons tests)"
    exit 1
fi
if ! javac -nowarn -d "$work" -cp "$cp" "$here/SelEval.java" > "$work/javac.log" 2>&1; then
    cat "$work/javac.log"
    echo "FAIL: selectors differential (javac failed)"
    exit 1
fi
/usr/bin/python3 "$here/gen.py" "$here/hand.txt" "$count" "$seed" > "$work/cases.txt" || {
    echo "FAIL: selectors differential (gen.py failed)"; exit 1; }
timeout 120 java -Xss8m -cp "$work:$cp" SelEval < "$work/cases.txt" > "$work/java.out" 2> "$work/java.err"
timeout 120 "$tool" < "$work/cases.txt" > "$work/c.full" 2> "$work/c.err"
cut -f1 "$work/c.full" > "$work/c.out"

/usr/bin/python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
sels = {}
for line in open(work + '/cases.txt'):
    f = line.split()
    if f and f[0] == 'SEL':
        sels[f[2]] = bytes.fromhex(f[1] if f[1] != '-' else '').decode('utf-8', 'replace')
def load(p):
    d = {}
    for line in open(p, encoding='utf-8', errors='replace'):
        f = line.rstrip('\n').split(' ', 1)
        if f and f[0]:
            d[f[0]] = f[1] if len(f) > 1 else ''
    return d
j, c = load(work + '/java.out'), load(work + '/c.out')
for line in open(work + '/cases.txt'):
    f = line.split()
    if f and f[0] in ('FMTD', 'FMTF'):
        sels[f[2]] = ('Double' if f[0] == 'FMTD' else 'Float') + '.toString(bits 0x' + f[1] + ')'
hand = sorted(k for k in sels if k.startswith('h'))
rand = sorted(k for k in sels if k.startswith('r'))
def show(k):
    return repr(sels[k])[:70]
for k in hand:
    if k in j and j.get(k) == c.get(k):
        print('PASS: selectors %s %s' % (k, show(k)))
    else:
        print('FAIL: selectors %s %s (ActiveMQ: %s, hermod: %s)' % (k, show(k), j.get(k), c.get(k)))
chunk = 500
fmt = sorted(k for k in sels if k[0] in 'df')
for s in range(0, len(fmt), chunk):
    part = fmt[s:s + chunk]
    bad = [k for k in part if k not in j or j.get(k) != c.get(k)]
    name = 'selectors number-to-text %d-%d' % (s, s + len(part) - 1)
    if not bad:
        print('PASS: %s' % name)
    else:
        print('FAIL: %s (%d differ)' % (name, len(bad)))
        for k in bad[:5]:
            print('  %s %s: ActiveMQ %s, hermod %s' % (k, show(k), j.get(k), c.get(k)))
for s in range(0, len(rand), chunk):
    part = rand[s:s + chunk]
    bad = [k for k in part if k not in j or j.get(k) != c.get(k)]
    name = 'selectors random %d-%d' % (s, s + len(part) - 1)
    if not bad:
        print('PASS: %s' % name)
    else:
        print('FAIL: %s (%d differ)' % (name, len(bad)))
        for k in bad[:5]:
            print('  %s %s: ActiveMQ %s, hermod %s' % (k, show(k), j.get(k), c.get(k)))
PY
