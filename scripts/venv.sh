# Sourced by the scripts: make sure ./.venv has the bridge and the dev tools.
# --system-site-packages lets an Odoo 18 installed in the system Python be found.
VENV="${ARTHEXIS_VENV:-$PWD/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv --system-site-packages "$VENV"
fi
stamp="$VENV/.arthexis-installed"
want=$(cat edge_bridge/pyproject.toml requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -e "./edge_bridge[test]" -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
