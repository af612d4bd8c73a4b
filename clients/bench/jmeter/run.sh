#!/usr/bin/env bash
# Runs hermod-jms.jmx headless against a broker and checks that every sample succeeded and that
# the counts are exact (2 senders x N, N round trips, N publishes, 2 subscribers x N receives).
#   clients/bench/jmeter/run.sh [URL] [MESSAGES]     (default tcp://127.0.0.1:61616, 500)
# Needs Debian's jmeter and jmeter-jms packages. Output in build/jmeter/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
url=${1:-tcp://127.0.0.1:61616}
n=${2:-500}
out=$root/build/jmeter
[ -f /usr/share/jmeter/bin/ApacheJMeter.jar ] || { echo "jmeter is not installed (apt-get install jmeter jmeter-jms)" >&2; exit 2; }
[ -f /usr/share/jmeter/lib/ext/ApacheJMeter_jms.jar ] || { echo "JMeter's JMS samplers are missing (apt-get install jmeter-jms)" >&2; exit 2; }
j=/usr/share/java
cp="$j/activemq-client.jar;$j/geronimo-jms_1.1_spec.jar;$j/geronimo-j2ee-management-1.1-spec.jar;$j/hawtbuf.jar;$j/slf4j-api.jar;$j/slf4j-nop.jar"
rm -rf "$out"; mkdir -p "$out/classes"
jm=/usr/share/jmeter
jcp=$jm/bin/ApacheJMeter.jar:$(ls $jm/lib/*.jar $jm/lib/ext/*.jar | tr '\n' ':')${cp//;/:}
javac -nowarn -d "$out/classes" -cp "$jcp" "$here/JMeterLauncher.java" || { echo "FAIL: launcher did not compile"; exit 1; }
# Equivalent of `jmeter -n -t hermod-jms.jmx ...` (see JMeterLauncher.java for why not jmeter itself).
timeout 300 java -Djmeter.home=$jm -cp "$out/classes:$jcp" JMeterLauncher -n -t "$here/hermod-jms.jmx" -Jurl="$url" -Jmessages="$n" \
    -Jjmeter.save.saveservice.output_format=csv -Jjmeter.save.saveservice.print_field_names=true \
    -l "$out/results.csv" -j "$out/jmeter.log" > "$out/stdout.txt" 2>&1
rc=$?
cat "$out/stdout.txt"
[ $rc = 0 ] || { echo "FAIL: jmeter exited with $rc (see $out/jmeter.log)"; exit 1; }
# CSV columns: timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,...
fail=0
check() { # LABEL WANT
    local ok bad
    ok=$(awk -F, -v l="$1" 'NR>1 && $3==l && $8=="true"' "$out/results.csv" | wc -l)
    bad=$(awk -F, -v l="$1" 'NR>1 && $3==l && $8!="true"' "$out/results.csv" | wc -l)
    if [ "$ok" = "$2" ] && [ "$bad" = 0 ]; then
        echo "PASS: jmeter '$1' $ok of $2 samples succeeded"
    else
        echo "FAIL: jmeter '$1' $ok of $2 samples succeeded, $bad failed"
        fail=1
    fi
}
[ -s "$out/results.csv" ] || { echo "FAIL: jmeter wrote no results (see $out/jmeter.log)"; exit 1; }
check "p2p send" $((2 * n))
check "p2p round trip" "$n"
check "publish price update" "$n"
check "receive price update" $((2 * n))
awk -F, 'NR>1 && $3!="wait for subscribers" {s[$3]+=$2; c[$3]++} END {for (l in s) printf "  %-22s mean %.2f ms over %d samples\n", l, s[l]/c[l], c[l]}' "$out/results.csv"
exit $fail
