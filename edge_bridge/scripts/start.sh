#!/bin/sh
# Run the bridge from this checkout without installing it (a Terminal node:
# one user, research and development). It runs in the background with its pid
# in <data dir>/bridge.pid and its log in <data dir>/bridge.log; stop.sh stops it.
#
#   scripts/start.sh [--config FILE] [run flags...]
#
# Settings come from --config and ARTHEXIS_BRIDGE_* as for `arthexis-bridge run`;
# the data directory is ARTHEXIS_BRIDGE_DATA_DIR, or data_dir in the config file,
# or ~/.local/share/arthexis-bridge. PYTHON picks the interpreter (default: the
# checkout's .venv if there is one, else python3); it needs the bridge's
# dependencies (pip install -e edge_bridge).
set -eu
. "$(dirname -- "$0")/common.sh"
mkdir -p "$data"
pidfile="$data/bridge.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "start.sh: the bridge already runs (pid $(cat "$pidfile")); scripts/stop.sh stops it" >&2
    exit 1
fi
nohup "$PYTHON" -m arthexis_bridge.cli run "$@" >>"$data/bridge.log" 2>&1 </dev/null &
echo $! >"$pidfile"
sleep 1
if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    rm -f "$pidfile"
    echo "start.sh: the bridge stopped at once; the end of $data/bridge.log:" >&2
    tail -n 5 "$data/bridge.log" >&2
    exit 1
fi
echo "bridge started: pid $(cat "$pidfile"), log $data/bridge.log"
