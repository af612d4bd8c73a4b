#!/usr/bin/env bash
# Stops, crashes or restarts the broker an interop suite started (hermod or the reference), for
# suites whose Java code must restart the broker in the middle of a test.
#   brokerctl.sh DIR stop        graceful stop (SIGTERM; the reference: its normal shutdown)
#   brokerctl.sh DIR kill9       SIGKILL, waits until the process and its port are gone
#   brokerctl.sh DIR start       starts it again on the same configuration and data
#   brokerctl.sh DIR restart     stop + start
#   brokerctl.sh DIR crash       kill9 + start
# DIR is the directory given to it_broker_start (it holds it_broker.env). Exit status 0 = done.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
dir=${1:?DIR}; cmd=${2:?stop|kill9|start|restart|crash}
it_broker_adopt "$dir" || { echo "no broker state in $dir" >&2; exit 2; }
stop_graceful() {
    local pid
    pid=$(it_broker_pid)
    if [ "$IT_BROKER_KIND" = ref ]; then
        bash "$IT_BROKER_DIR/refbroker.sh" stop "$IT_BROKER_DIR/ref" >&2 || true
    else
        kill -TERM "$pid" 2>/dev/null
        local i
        for i in $(seq 1 100); do
            it_pid_running "$pid" || break
            sleep 0.05
        done
        if it_pid_running "$pid"; then
            echo "hermod did not stop on SIGTERM within 5 s" >&2
            kill -KILL "$pid" 2>/dev/null
            return 1
        fi
    fi
    return 0
}
case "$cmd" in
    stop) stop_graceful ;;
    kill9) it_broker_kill9 ;;
    start) it_broker_resume ;;
    restart) stop_graceful && it_broker_resume ;;
    crash) it_broker_kill9 && it_broker_resume ;;
    *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
