"""What the benchmarks share: a running Odoo on a fresh database, a bridge process."""

import contextlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import odoo as harness
from tests.harness import postgres
from tests.harness.site import BridgeProcess, OdooServer

LOGS = harness.REPO / "var" / "bench-logs"
free_port = harness.free_port


@contextlib.contextmanager
def running_odoo(name, modules=("arthexis_ocpp",), workers=0):
    """An Odoo server with these modules on a fresh database, dropped afterwards;
    ``workers`` > 0 runs Odoo's prefork server with that many workers."""
    found, reason = harness.find()
    if not found:
        sys.exit(f"needs Odoo 18: {reason}")
    pg = postgres.find_or_start()
    server = OdooServer(found, pg, LOGS, name, list(modules), workers)
    try:
        print(f"installing {', '.join(modules)} on {server.db} ...", flush=True)
        server.install()
        server.start()
        yield server
    finally:
        server.drop()
        pg.stop()


@contextlib.contextmanager
def running_bridge(name, settings=None, data_dir=None):
    """`arthexis-bridge run` logging warnings only, in a temporary data dir unless given."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="arthexis-bench-"))
        bridge = BridgeProcess(Path(data_dir), LOGS / f"{name}-bridge.log", settings)
        bridge.start("--log-level", "WARNING")
        try:
            yield bridge
        finally:
            bridge.stop()
