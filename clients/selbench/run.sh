#!/usr/bin/env bash
# Selector benchmark: evaluations per second of hermod's selector library against ActiveMQ
# 5.17's own SelectorParser, same selectors, same messages (cases.txt next to this file).
#   clients/selbench/run.sh
# Builds the C tool (release variant) and SelBench.java, runs both, checks they agree on every
# result, measures instructions per evaluation of a few selectors with callgrind, then writes
# build/selbench/results.md and prints it.  About 90-110 s on 2 cores.
# Knobs: SELBENCH_SECONDS (timed seconds per selector, 1), SELBENCH_WARMUP (Java JIT warm-up
# per selector, 1), SELBENCH_MEM (compiles per selector for the memory figure, 2000),
# SELBENCH_CALLGRIND (selectors measured with callgrind, "equals compound6 like_inner"; empty
# to skip).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
out=$repo/build/selbench
mkdir -p "$out/classes"
seconds=${SELBENCH_SECONDS:-1}
warmup=${SELBENCH_WARMUP:-1}
mem=${SELBENCH_MEM:-2000}
cgsels=${SELBENCH_CALLGRIND-equals compound6 like_inner}
cases=$here/cases.txt
tool=$repo/build/release/test/interop/selbench/selectors_bench_tool
J=/usr/share/java
cp="$J/activemq-client.jar:$J/geronimo-jms_1.1_spec.jar:$J/hawtbuf.jar:$J/slf4j-api.jar:$J/slf4j-nop.jar"

echo "building (scons variant=release, javac) ..."
scons -Q -j2 variant=release "build/release/test/interop/selbench/selectors_bench_tool" > "$out/build.log" 2>&1 || {
    cat "$out/build.log"; echo "selbench: C build failed"; exit 1; }
javac -nowarn -d "$out/classes" -cp "$cp" "$here/SelBench.java" > "$out/javac.log" 2>&1 || {
    cat "$out/javac.log"; echo "selbench: javac failed"; exit 1; }

echo "hermod: $seconds s per selector ..."
"$tool" --seconds "$seconds" --mem "$mem" "$cases" > "$out/hermod.tsv"
# One JVM per selector (as JMH forks): in one JVM the call sites of the loop would see every
# selector's expression classes in turn, and how well a later selector's evaluation got
# compiled would depend on which ran before it (up to 10x apart from run to run).
echo "ActiveMQ: warm-up + $seconds s per selector, a JVM each ..."
: > "$out/activemq.tsv"
: > "$out/activemq.log"
for s in $(sed -n 's/^SEL \([^ ]*\) .*/\1/p' "$cases"); do
    if ! java -cp "$out/classes:$cp" SelBench --seconds "$seconds" --warmup "$warmup" --mem "$mem" \
            --expect "$out/hermod.tsv" --only "$s" "$cases" > "$out/activemq.$s.tsv" 2>> "$out/activemq.log"; then
        cat "$out/activemq.$s.tsv"
        echo "selbench: ActiveMQ and hermod disagree on $s (or SelBench failed): no results"
        exit 3
    fi
    cat "$out/activemq.$s.tsv" >> "$out/activemq.tsv"
done

: > "$out/callgrind.tsv"
if [ -n "$cgsels" ] && command -v valgrind > /dev/null; then
    echo "callgrind: $cgsels ..."
    rounds=1000
    for s in $cgsels; do
        valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$s.out" --toggle-collect=run_rounds \
            "$tool" --rounds "$rounds" --only "$s" "$cases" > "$out/callgrind.$s.tsv" 2> "$out/callgrind.$s.log"
        ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/callgrind.$s.log")
        evals=$(grep -v '^#' "$out/callgrind.$s.tsv" | cut -f2)
        printf '%s\t%s\t%s\n' "$s" "$ir" "$evals" >> "$out/callgrind.tsv"
    done
fi

{
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "nproc=$(nproc)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "kernel=$(uname -r)"
    echo "cc=$(${CC:-gcc} --version | head -1)"
    echo "java=$(java -version 2>&1 | sed -n 2p)"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
} > "$out/machine.txt"

/usr/bin/python3 - "$out" "$cases" "$seconds" "$warmup" "$mem" <<'PY'
import math, sys
out, cases, seconds, warmup, mem = sys.argv[1:]
machine = dict(l.rstrip('\n').split('=', 1) for l in open(out + '/machine.txt') if '=' in l)
texts, nmsgs = {}, 0
for line in open(cases):
    if line.startswith('SEL '):
        _, name, text = line.rstrip('\n').split(' ', 2)
        texts[name] = text
    elif line.startswith('MSG '):
        nmsgs += 1
def load(p):
    d = {}
    for line in open(p):
        f = line.rstrip('\n').split('\t')
        if len(f) == 7 and not f[0].startswith('#'):
            d[f[0]] = dict(evals=int(f[1]), wall=float(f[2]), cpu=float(f[3]), rate=float(f[4]),
                           bytes=float(f[5]), res=f[6])
    return d
h, a = load(out + '/hermod.tsv'), load(out + '/activemq.tsv')
for k in texts:
    if k not in h or k not in a or h[k]['res'] != a[k]['res']:
        sys.exit('selbench: missing or differing results for %s' % k)
L = []
L.append('# hermod vs ActiveMQ selector evaluation\n')
L.append('Machine: %s, nproc %s, Linux %s, load average at the end %s; %s; %s.  Run %s, hermod commit %s.\n'
         % (machine['cpu'], machine['nproc'], machine['kernel'], machine['load'], machine['cc'],
            machine['java'], machine['date'], machine['commit']))
L.append('Each selector is compiled once, then evaluated over the same %d messages (clients/selbench/cases.txt) '
         'in a loop for %s s of wall clock (Java after a JIT warm-up of at least %s s of its CPU time and until its JIT compiler had been idle for 0.5 s), one thread each, one after the other, each selector in a JVM of its own.  '
         'An evaluation is one matches() of one selector on one message; both sides agreed on every '
         'result (evaluate() and matches() per message, checked before timing, and every timed Java '
         'verdict checked against hermod\'s).  Evals/s are per second of the evaluating thread\'s CPU '
         'time, in the best of 5 equal windows of the timed second(s) (the machine is shared: wall-clock time also counts time spent waiting for a core, '
         'and other jobs disturb caches; the last column gives the ratio of the whole timed loops over wall-clock time for comparison).  '
         'Ratio = hermod evals/s / ActiveMQ evals/s (> 1: hermod faster).\n'
         % (nmsgs, seconds, warmup))
L.append('| selector | hermod evals/s | ActiveMQ evals/s | ratio | hermod bytes/selector | ActiveMQ bytes/selector (est.) | ratio, wall clock |')
L.append('|---|---:|---:|---:|---:|---:|---:|')
logs, wlogs = [], []
for k, text in texts.items():
    r = h[k]['rate'] / a[k]['rate']
    wr = (h[k]['evals'] / h[k]['wall']) / (a[k]['evals'] / a[k]['wall'])
    logs.append(math.log(r))
    wlogs.append(math.log(wr))
    L.append('| `%s` | %s | %s | %.2f | %d | %d | %.2f |' % (text.replace('|', '\\|'), format(round(h[k]['rate']), ','),
             format(round(a[k]['rate']), ','), r, round(h[k]['bytes']), round(a[k]['bytes']), wr))
L.append('\nGeometric mean of the ratios: %.2f (wall clock: %.2f).  CPU time used by the timed loops: hermod %.1f s '
         'for %.1f s of wall clock, ActiveMQ %.1f s for %.1f s.\n'
         % (math.exp(sum(logs) / len(logs)), math.exp(sum(wlogs) / len(wlogs)),
            sum(x['cpu'] for x in h.values()) / 1e9, sum(x['wall'] for x in h.values()) / 1e9,
            sum(x['cpu'] for x in a.values()) / 1e9, sum(x['wall'] for x in a.values()) / 1e9))
L.append('Bytes per selector: hermod, growth of the process\'s mapped memory while %s copies are compiled into one '
         'APR pool (its own allocator), divided by %s (a selector in a pool of its own costs at least one 8 KiB '
         'APR block); ActiveMQ, a rough estimate: heap growth after GC while %s parsed copies are kept alive, divided by %s.\n'
         % (mem, mem, mem, mem))
cg = [l.rstrip('\n').split('\t') for l in open(out + '/callgrind.tsv') if l.strip()]
if cg:
    L.append('Instructions per evaluation of the C side (valgrind --tool=callgrind, collected only inside the '
             'evaluation loop, so it counts sel_eval, the accessor and the loop; repeatable from run to run):\n')
    L.append('| selector | instructions | evaluations | instructions/evaluation |')
    L.append('|---|---:|---:|---:|')
    for name, ir, evals in cg:
        L.append('| `%s` | %s | %s | %.0f |' % (texts[name], format(int(ir), ','), format(int(evals), ','),
                                             int(ir) / int(evals)))
    L.append('')
open(out + '/results.md', 'w').write('\n'.join(L) + '\n')
PY
echo
cat "$out/results.md"
