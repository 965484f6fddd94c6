#!/bin/sh
# Remove the Arthexis edge bridge service, its virtual environment and settings.
# The data directory (the outbox) is kept unless --purge. `./uninstall.sh --help`
# lists every flag; the work is done by arthexis_bridge/install.py.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
python=${PYTHON:-python3}
ARTHEXIS_INSTALL_PROG=uninstall.sh PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$python" -m arthexis_bridge.install uninstall "$@"
