#!/usr/bin/env bash
# Compiles the benchmark tool with javac against Debian's ActiveMQ client jars into
# <repo>/build/bench-classes (skipped when the classes are newer than every source file).
#   clients/bench/build.sh            prints the classpath to run it with on stdout
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/bench-classes
j=/usr/share/java
CP=$j/activemq-client.jar:$j/geronimo-jms_1.1_spec.jar:$j/geronimo-j2ee-management-1.1-spec.jar:$j/hawtbuf.jar:$j/slf4j-api.jar:$j/slf4j-nop.jar
IFS=: read -ra jars <<< "$CP"
for jar in "${jars[@]}"; do
    [ -f "$jar" ] || { echo "missing $jar (apt-get install libactivemq-java)" >&2; exit 1; }
done
mapfile -t srcs < <(find "$here/src" -name '*.java' | sort)
stamp=$out/.stamp
stale=0
[ -f "$stamp" ] || stale=1
for s in "${srcs[@]}"; do [ "$s" -nt "$stamp" ] && stale=1; done
if [ $stale = 1 ]; then
    rm -rf "$out"; mkdir -p "$out"
    javac -nowarn -encoding UTF-8 -Xlint:-options --release 11 -d "$out" -cp "$CP" "${srcs[@]}" >&2
    touch "$stamp"
fi
echo "$out:$CP"
