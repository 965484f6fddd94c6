# Sourced by start.sh and stop.sh (with their arguments): sets edge (this
# checkout's edge_bridge), PYTHON, PYTHONPATH and data (the data directory).
edge=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$edge/../.venv/bin/python" ]; then PYTHON="$edge/../.venv/bin/python"; else PYTHON=python3; fi
fi
export PYTHONPATH="$edge${PYTHONPATH:+:$PYTHONPATH}"
data=$("$PYTHON" "$edge/scripts/data_dir.py" "$@")
