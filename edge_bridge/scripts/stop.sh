#!/bin/sh
# Stop the bridge start.sh started: SIGTERM (it closes the chargers and commits
# its outbox), then wait up to 30 s. Give it the same --config (and environment)
# as start.sh, so that it finds the same data directory.
set -eu
. "$(dirname -- "$0")/common.sh"
pidfile="$data/bridge.pid"
if [ ! -f "$pidfile" ] || ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    rm -f "$pidfile"
    echo "stop.sh: the bridge is not running (no live pid in $pidfile)"
    exit 0
fi
pid=$(cat "$pidfile")
kill -TERM "$pid"
waited=0
while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 300 ]; then
        echo "stop.sh: pid $pid did not stop in 30 s; see $data/bridge.log" >&2
        exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
done
rm -f "$pidfile"
echo "bridge stopped (pid $pid)"
