#!/bin/sh
# Install the Arthexis edge bridge as a systemd service (Debian, Ubuntu,
# Raspberry Pi OS). A thin wrapper: the work is done by arthexis_bridge/install.py,
# run from this checkout with the system's Python 3.11+. `./install.sh --help`
# lists every flag.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "install.sh: $python not found; on Debian: apt-get install python3 python3-venv" >&2
    exit 1
fi
if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: needs Python 3.11+ with venv; on Debian: apt-get install python3-venv" >&2
    exit 1
fi
ARTHEXIS_INSTALL_PROG=install.sh PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$python" -m arthexis_bridge.install --python "$python" "$@"
