"""Print the bridge's data directory for start.sh and stop.sh: the same settings
as ``arthexis-bridge run`` (``--config FILE`` and ARTHEXIS_BRIDGE_*)."""

import argparse
import sys

from arthexis_bridge.settings import SettingsError, load_settings

parser = argparse.ArgumentParser(add_help=False)
parser.add_argument("--config")
args, _ = parser.parse_known_args()
try:
    print(load_settings(args.config).data_dir)
except SettingsError as error:
    sys.exit(f"settings: {error}")
