# Shared pieces of the interop suites (sourced by test/interop/<suite>/run.sh).
# Why one file: every suite starts a broker the same way (hermod or, with REF=1, the reference
# ActiveMQ), compiles its Java the same way and must report every test even when the broker
# or the JVM dies, so that a suite can never pass by saying nothing.

IT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# The client also needs javax.management.j2ee (JMS statistics classes) at run time.
IT_CP=/usr/share/java/activemq-client.jar:/usr/share/java/geronimo-jms_1.1_spec.jar:/usr/share/java/geronimo-j2ee-management-1.1-spec.jar:/usr/share/java/hawtbuf.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar
IT_BROKER_KIND=""
IT_BROKER_DIR=""
IT_BROKER_PID=""

# it_parse_args "$@": sets IT_HERMOD (hermod binary) and IT_REF (1 = reference broker).
it_parse_args() {
    IT_REF=${REF:-0}
    IT_HERMOD=""
    for a in "$@"; do
        case "$a" in
            --ref) IT_REF=1 ;;
            *) IT_HERMOD=$a ;;
        esac
    done
    if [ "$IT_REF" != 1 ] && [ -z "$IT_HERMOD" ]; then
        echo "usage: run.sh HERMOD_BINARY | REF=1 run.sh | run.sh --ref" >&2
        return 1
    fi
    return 0
}

# it_compile OUTDIR SRC...: javac into OUTDIR (skipped when the classes are newer than the sources).
it_compile() {
    local out=$1; shift
    local stamp=$out/.stamp newest=0 f
    for f in "$@"; do
        [ "$f" -nt "$stamp" ] && newest=1
    done
    [ -f "$stamp" ] && [ $newest = 0 ] && return 0
    rm -rf "$out"; mkdir -p "$out"
    javac -nowarn -encoding UTF-8 -d "$out" -cp "$IT_CP" "$@" >&2 || return 1
    touch "$stamp"
}

it_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# it_broker_start PORT DIR [MAX_FRAME_SIZE]: starts hermod ($IT_HERMOD) or, with IT_REF=1, the
# reference ActiveMQ on 127.0.0.1:PORT, waits for the port. Returns non-zero if it did not come up.
# Optional environment (unset = the plain non-persistent broker the jms/hostile suites use):
#   IT_PERSISTENT=1  hermod gets persistent="true" and a Berkeley DB store in DIR/data/bdb (the
#                    reference is always persistent: KahaDB in DIR/ref/data)
#   IT_BROKER_XML    extra <broker> child elements for either broker, e.g. a <systemUsage>
# The set-up is also written to DIR/it_broker.env so that it_broker_kill9/it_broker_resume and
# common/brokerctl.sh (which a Java suite runs) can stop and restart the same broker later.
it_broker_start() {
    local port=$1 dir=$2 maxframe=${3:-104857600}
    # Never judge a broker someone else left on our port.
    if it_port_open "$port"; then
        echo "port $port is already in use; another broker or suite is running there" >&2
        return 1
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    IT_BROKER_DIR=$dir
    if [ "$IT_REF" = 1 ]; then
        IT_BROKER_KIND=ref
        # refbroker.sh fixes maxFrameSize at 100 MiB; a copy with the one number changed keeps
        # every other part of the reference set-up identical.
        # A suite's own <destinationPolicy> replaces refbroker.sh's (Spring would otherwise see
        # two); refbroker.sh writes its policy on three lines.
        local edits=(-e "s/wireFormat.maxFrameSize=104857600/wireFormat.maxFrameSize=$maxframe/")
        [[ "${IT_BROKER_XML:-}" == *"<destinationPolicy>"* ]] && edits+=(
            -e '\#<destinationPolicy><policyMap><policyEntries>#d'
            -e '\#<policyEntry queue=">" prioritizedMessages="true"/>#d'
            -e '\#</policyEntries></policyMap></destinationPolicy>#d')
        sed "${edits[@]}" "$IT_ROOT/test/tools/refbroker.sh" > "$dir/refbroker.sh"
        it_state_save "$port" "$maxframe"
        bash "$dir/refbroker.sh" start "$port" "$dir/ref" "${IT_BROKER_XML:-}" >&2 || return 1
        return 0
    fi
    IT_BROKER_KIND=hermod
    if [ ! -x "$IT_HERMOD" ]; then
        echo "hermod binary '$IT_HERMOD' is not executable" >&2
        return 1
    fi
    mkdir -p "$dir/data"
    local persistent=false store=""
    if [ "${IT_PERSISTENT:-0}" = 1 ]; then
        persistent=true
        store="<persistenceAdapter><bdb directory=\"$dir/data/bdb\"/></persistenceAdapter>"
    fi
    cat > "$dir/hermod.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="itest" dataDirectory="$dir/data" persistent="$persistent">
  $store
  ${IT_BROKER_XML:-}
  <transportConnectors>
    <transportConnector name="openwire" uri="tcp://127.0.0.1:$port?maximumConnections=1000&amp;wireFormat.maxFrameSize=$maxframe"/>
  </transportConnectors>
</broker>
XML
    it_state_save "$port" "$maxframe"
    it_hermod_launch "$port"
}

# Suites that test hermod's own options write their own hermod.xml (and have no reference run):
#   it_hermod_only REASON          under REF=1: says REASON and exits 0
#   it_hermod_custom PORT DIR      a fresh DIR (and DIR/data) for DIR/hermod.xml; the port must be free
#   it_hermod_custom_start PORT    starts hermod on DIR/hermod.xml; a dead broker fails the suite
it_hermod_only() {
    if [ "$IT_REF" = 1 ]; then
        echo "$(basename "$(dirname "$0")"): $1; not run against the reference broker" >&2
        exit 0
    fi
}

it_hermod_custom() {
    it_port_open "$1" && it_suite_abort "port $1 is already in use"
    rm -rf "$2"; mkdir -p "$2/data"
    IT_BROKER_DIR=$(cd "$2" && pwd)
    IT_BROKER_KIND=hermod
}

it_hermod_custom_start() {
    it_state_save "$1" 104857600
    it_hermod_launch "$1" || it_suite_abort "broker did not start"
    IT_SUITE_BROKER_MUST_LIVE=1
}

# it_state_save PORT MAXFRAME: records how the broker in $IT_BROKER_DIR was started (in this shell
# too, so that it_broker_kill9/it_broker_resume work without it_broker_adopt).
it_state_save() {
    IT_STATE_PORT=$1
    IT_STATE_XML=${IT_BROKER_XML:-}
    {
        printf 'IT_BROKER_KIND=%q\n' "$IT_BROKER_KIND"
        printf 'IT_BROKER_DIR=%q\n' "$IT_BROKER_DIR"
        printf 'IT_HERMOD=%q\n' "${IT_HERMOD:-}"
        printf 'IT_REF=%q\n' "${IT_REF:-0}"
        printf 'IT_STATE_PORT=%q\n' "$1"
        printf 'IT_STATE_XML=%q\n' "${IT_BROKER_XML:-}"
    } > "$IT_BROKER_DIR/it_broker.env"
}

# it_hermod_launch PORT: runs hermod on the configuration already in $IT_BROKER_DIR (appending to
# its log, keeping its data) and waits for the port; the pid also goes to DIR/hermod.pid.
it_hermod_launch() {
    local port=$1 dir=$IT_BROKER_DIR
    "$IT_HERMOD" --config "$dir/hermod.xml" 2>> "$dir/hermod.log" < /dev/null > /dev/null &
    IT_BROKER_PID=$!
    echo "$IT_BROKER_PID" > "$dir/hermod.pid"
    local i
    # A large store may take a while to load after a crash.
    for i in $(seq 1 200); do
        it_port_open "$port" && return 0
        if ! kill -0 "$IT_BROKER_PID" 2>/dev/null; then
            echo "hermod exited before opening port $port:" >&2
            tail -20 "$dir/hermod.log" >&2
            IT_BROKER_PID=""
            return 1
        fi
        sleep 0.1
    done
    echo "hermod did not open port $port within 20 s" >&2
    return 1
}

# it_broker_alive: is the broker process still running?
it_broker_alive() {
    if [ "$IT_BROKER_KIND" = ref ]; then
        kill -0 "$(cat "$IT_BROKER_DIR/ref/broker.pid" 2>/dev/null)" 2>/dev/null
    else
        [ -n "$IT_BROKER_PID" ] && kill -0 "$IT_BROKER_PID" 2>/dev/null
    fi
}

# it_broker_stop: stops what it_broker_start started (safe to call twice; used from a trap).
it_broker_stop() {
    if [ "$IT_BROKER_KIND" = ref ]; then
        bash "$IT_BROKER_DIR/refbroker.sh" stop "$IT_BROKER_DIR/ref" >&2 || true
    elif [ -n "$IT_BROKER_PID" ]; then
        kill -TERM "$IT_BROKER_PID" 2>/dev/null
        local i
        for i in $(seq 1 50); do
            kill -0 "$IT_BROKER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$IT_BROKER_PID" 2>/dev/null; then
            echo "hermod did not stop on SIGTERM within 5 s; killing it" >&2
            kill -KILL "$IT_BROKER_PID" 2>/dev/null
        fi
        wait "$IT_BROKER_PID" 2>/dev/null
        IT_BROKER_PID=""
    fi
    IT_BROKER_KIND=""
}

# it_report NAMES_FILE RESULTS_FILE [REASON]: prints exactly one PASS/FAIL line per test name,
# taking the verdict from RESULTS_FILE and FAIL for any test that reported nothing.
it_report() {
    local names=$1 results=$2 reason=${3:-no result reported}
    local name line
    while IFS= read -r name; do
        [ -n "$name" ] || continue
        line=$(grep -m1 -E "^(PASS|FAIL): $name\$" "$results" 2>/dev/null)
        if [ -n "$line" ]; then
            echo "$line"
        else
            echo "FAIL: $name"
            echo "  $name: $reason" >&2
        fi
    done < "$names"
}

# it_broker_adopt DIR: takes over the broker described by DIR/it_broker.env (started by this shell
# or restarted since by brokerctl.sh), so that it_broker_alive/it_broker_stop act on the live one.
it_broker_adopt() {
    local dir=$1
    [ -f "$dir/it_broker.env" ] || return 1
    . "$dir/it_broker.env"
    if [ "$IT_BROKER_KIND" = hermod ]; then
        IT_BROKER_PID=$(cat "$dir/hermod.pid" 2>/dev/null)
    fi
    return 0
}

# it_broker_pid: the process id of the running broker (hermod or the reference JVM).
it_broker_pid() {
    if [ "$IT_BROKER_KIND" = ref ]; then
        cat "$IT_BROKER_DIR/ref/broker.pid" 2>/dev/null
    else
        echo "$IT_BROKER_PID"
    fi
}

# it_pid_running PID: true while PID exists and is not a zombie (a broker restarted by
# brokerctl.sh is nobody's child here, and whoever inherits it may reap it late).
it_pid_running() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case "$st" in Z*|"") return 1 ;; esac
    return 0
}

# it_broker_kill9: kills the broker with SIGKILL (a crash: no shutdown code runs) and waits until
# the process is gone and its port is closed.
it_broker_kill9() {
    local pid i
    pid=$(it_broker_pid)
    [ -n "$pid" ] || return 1
    kill -KILL "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        it_pid_running "$pid" || break
        sleep 0.05
    done
    wait "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        it_port_open "$IT_STATE_PORT" || return 0
        sleep 0.05
    done
    echo "port $IT_STATE_PORT still open 5 s after kill -9" >&2
    return 1
}

# it_broker_resume: starts the broker of $IT_BROKER_DIR again with the same configuration and
# the data it left (after it_broker_stop or it_broker_kill9). Returns non-zero if it did not come up.
it_broker_resume() {
    local dir=$IT_BROKER_DIR i
    for i in $(seq 1 100); do
        it_port_open "$IT_STATE_PORT" || break
        sleep 0.05
    done
    if it_port_open "$IT_STATE_PORT"; then
        echo "port $IT_STATE_PORT is still in use; cannot restart the broker" >&2
        return 1
    fi
    if [ "$IT_BROKER_KIND" = ref ]; then
        # refbroker.sh truncates broker.log on start; keep the earlier run's log.
        { cat "$dir/ref/broker.log"; echo "---- restart ----"; } >> "$dir/ref/broker-earlier.log" 2>/dev/null
        bash "$dir/refbroker.sh" start "$IT_STATE_PORT" "$dir/ref" "$IT_STATE_XML" >&2
        return
    fi
    echo "---- restart ----" >> "$dir/hermod.log"
    it_hermod_launch "$IT_STATE_PORT"
}

# ---- the usual shape of a suite: one broker, one JVM running a hermodit Suite class ----
# Why here: every such run.sh compiled, listed, started, ran, timed out and reported the same
# way; a suite now says only what differs (its broker and its JVM options).
#   it_suite_setup NAME CLASS        compile test/interop/NAME/java/<package>/*.java, list the
#                                    tests, and make sure every test gets a line whatever happens
#   it_broker_start ... || it_suite_abort "broker did not start"
#   it_suite_java TIMEOUT JAVA_OPTS... run the JVM (IT_ONLY honoured) and report
# A suite whose JVM restarts the broker (common/brokerctl.sh) starts it in a subshell,
# `( it_broker_start … )`, so that the broker is nobody's child here and every restart looks alike.
# Optional: IT_SUITE_ON_EXIT (a command run on exit), IT_SUITE_BROKER_MUST_LIVE=1 (a broker that
# died during the suite fails every test), it_suite_java_start/it_suite_java_end around a loop
# that serves the JVM while it runs.
IT_SUITE_JPID=""
IT_SUITE_REPORTED=0

it_suite_setup() {
    IT_SUITE=$1
    IT_SUITE_CLASS=$2
    local pkg=${2%.*}
    IT_SUITE_LOGS=$IT_ROOT/build/interop-logs/$1
    IT_SUITE_CLASSES=$IT_ROOT/build/interop-classes/$1
    IT_SUITE_NAMES=$IT_SUITE_LOGS/names.txt
    IT_SUITE_RESULTS=$IT_SUITE_LOGS/results.txt
    mkdir -p "$IT_SUITE_LOGS"
    : > "$IT_SUITE_RESULTS"
    : > "$IT_SUITE_NAMES"
    trap it_suite_finish EXIT
    trap 'exit 130' INT TERM
    if ! it_compile "$IT_SUITE_CLASSES" "$IT_ROOT/test/interop/$1/java/${pkg//.//}"/*.java \
            "$IT_ROOT/test/interop/common/java/hermodit"/*.java; then
        echo "javac failed" >&2
        # Without the classes the names cannot be listed; report the suite itself as failed.
        echo "FAIL: $1_suite_compiles"
        IT_SUITE_REPORTED=1
        return 1
    fi
    # it.ref: a suite may leave out, under REF=1, the tests of what ActiveMQ lacks
    java -cp "$IT_SUITE_CLASSES:$IT_CP" -Dit.ref="${IT_REF:-0}" "$IT_SUITE_CLASS" --list > "$IT_SUITE_NAMES"
}

# On any exit: stop the JVM and the broker; if the suite was cut short, still give every test a line.
it_suite_finish() {
    [ -n "$IT_SUITE_JPID" ] && kill "$IT_SUITE_JPID" 2>/dev/null
    it_suite_adopt
    [ -n "${IT_SUITE_ON_EXIT:-}" ] && eval "$IT_SUITE_ON_EXIT"
    it_broker_stop
    if [ "$IT_SUITE_REPORTED" = 0 ] && [ -s "$IT_SUITE_NAMES" ]; then
        it_report "$IT_SUITE_NAMES" "$IT_SUITE_RESULTS" "suite interrupted"
    fi
}

# The JVM may have restarted the broker through brokerctl.sh: act on the live one.
it_suite_adopt() {
    [ -n "$IT_BROKER_DIR" ] && [ -f "$IT_BROKER_DIR/it_broker.env" ] && it_broker_adopt "$IT_BROKER_DIR"
    return 0
}

# it_suite_abort REASON: every test fails with REASON; exits.
it_suite_abort() {
    it_report "$IT_SUITE_NAMES" /dev/null "$1"
    IT_SUITE_REPORTED=1
    exit 1
}

# it_suite_java_start TIMEOUT JAVA_OPTS...: the suite JVM in the background (it.ref is set).
it_suite_java_start() {
    IT_SUITE_TIMEOUT=$1; shift
    timeout "$IT_SUITE_TIMEOUT" java -XX:+UseSerialGC -cp "$IT_SUITE_CLASSES:$IT_CP" "$@" -Dit.ref="$IT_REF" \
        "$IT_SUITE_CLASS" ${IT_ONLY:+--only "$IT_ONLY"} > "$IT_SUITE_RESULTS" 2> "$IT_SUITE_LOGS/details.log" &
    IT_SUITE_JPID=$!
}

# it_suite_java_end: waits for the JVM and prints one line per test.
it_suite_java_end() {
    local rc
    wait "$IT_SUITE_JPID"
    rc=$?
    IT_SUITE_JPID=""
    cat "$IT_SUITE_LOGS/details.log" >&2
    [ $rc = 124 ] && echo "suite JVM killed after $IT_SUITE_TIMEOUT s" >&2
    it_suite_adopt
    if ! it_broker_alive; then
        echo "broker was no longer running at the end of the suite" >&2
        [ "${IT_SUITE_BROKER_MUST_LIVE:-0}" = 1 ] && sed -i 's/^PASS: /FAIL: /' "$IT_SUITE_RESULTS"
    fi
    [ -n "${IT_ONLY:-}" ] && tr ',' '\n' <<< "$IT_ONLY" > "$IT_SUITE_NAMES"
    IT_SUITE_REPORTED=1
    it_report "$IT_SUITE_NAMES" "$IT_SUITE_RESULTS" "no verdict (JVM exit $rc)"
}

it_suite_java() {
    it_suite_java_start "$@"
    it_suite_java_end
}
