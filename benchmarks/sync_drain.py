"""How fast a bridge's backlog drains into Odoo once Odoo is reachable.

Fills a bridge's SQLite outbox with a backlog (default 100,000 events: what
200 chargers send in a long outage, 90 % MeterValues with 2 samples, the rest
heartbeats and status notifications, each charger in a session), then starts
`arthexis-bridge run` pointed at a real Odoo on a fresh database and times
until the outbox is empty and Odoo's ledger holds every event. A figure, not a test.

    .venv/bin/python benchmarks/sync_drain.py [--events 100000] [--batch 500]
"""

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import xmlrpc.client
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arthexis_bridge.events import make_event
from arthexis_bridge.outbox import Outbox
from tests.harness import odoo as harness
from tests.harness import postgres

CHARGERS = 200


def backlog(count):
    for cp in range(CHARGERS):
        yield make_event(
            f"DRAIN-{cp:03d}",
            "transaction_started",
            "ocpp1.6",
            {
                "transaction_id": str(cp + 1),
                "connector_id": 1,
                "id_tag": "DRAIN",
                "meter_start": 0,
                "timestamp": "2026-11-22T10:00:00.000Z",
                "decision": {"status": "Accepted", "source": "cache"},
            },
        )
    for n in range(count - CHARGERS):
        cp = n % CHARGERS
        charger = f"DRAIN-{cp:03d}"
        if n % 10 == 0:
            yield make_event(charger, "heartbeat", "ocpp1.6", {})
        elif n % 10 == 5:
            yield make_event(
                charger,
                "status",
                "ocpp1.6",
                {"connector_id": 1, "status": "Charging", "error_code": "NoError"},
            )
        else:
            stamp = (
                f"2026-11-22T{10 + n // 360000:02d}:{n // 6000 % 60:02d}:{n // 100 % 60:02d}.000Z"
            )
            samples = [
                {
                    "timestamp": stamp,
                    "value": str(n),
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                },
                {
                    "timestamp": stamp,
                    "value": "7200",
                    "measurand": "Power.Active.Import",
                    "unit": "W",
                },
            ]
            yield make_event(
                charger,
                "meter_values",
                "ocpp1.6",
                {"connector_id": 1, "transaction_id": str(cp + 1), "samples": samples},
            )


async def fill(path, count):
    async with Outbox(path) as outbox:
        await asyncio.gather(*(outbox.append(event) for event in backlog(count)))
        return await outbox.depth()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    found, reason = harness.find()
    if not found:
        sys.exit(f"needs Odoo 18: {reason}")
    pg = postgres.find_or_start()
    logs = harness.REPO / "var" / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    db = f"arthexis_drain_{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="arthexis-drain-"))
    server = bridge = None
    try:
        outbox_path = data_dir / "bridge.sqlite3"
        started = time.perf_counter()
        depth = asyncio.run(fill(outbox_path, args.events))
        print(
            f"backlog: {depth} events written in {time.perf_counter() - started:.1f} s", flush=True
        )
        print(f"installing arthexis_ocpp on {db} ...", flush=True)
        found.install(db, pg, logs / "drain-install.log", ["arthexis_ocpp"])
        port = harness.free_port()
        server = found.serve(db, port, pg, logs / "drain-server.log")
        url = f"http://127.0.0.1:{port}"
        models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        admin = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
            db, "admin", "admin", {}
        )

        def call(model, method, *call_args):
            return models.execute_kw(db, admin, "admin", model, method, list(call_args))

        node = call("arthexis.node", "create", {"name": "drain"})
        wizard = call("arthexis.node", "action_generate_api_key", [node])["res_id"]
        [cred] = call("arthexis.node.api.key", "read", [wizard], ["login", "key"])
        env = {
            **os.environ,
            "ARTHEXIS_BRIDGE_HOST": "127.0.0.1",
            "ARTHEXIS_BRIDGE_PORT": str(harness.free_port()),
            "ARTHEXIS_BRIDGE_DATA_DIR": str(data_dir),
            "ARTHEXIS_BRIDGE_ODOO_URL": url,
            "ARTHEXIS_BRIDGE_ODOO_DB": db,
            "ARTHEXIS_BRIDGE_ODOO_LOGIN": cred["login"],
            "ARTHEXIS_BRIDGE_ODOO_API_KEY": cred["key"],
            "ARTHEXIS_BRIDGE_SYNC_BATCH": str(args.batch),
        }
        exe = shutil.which("arthexis-bridge", path=str(Path(sys.executable).parent))
        started = time.perf_counter()
        bridge = subprocess.Popen(
            [exe, "run", "--log-level", "WARNING"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / "drain-bridge.log", "w"),
        )
        reader = sqlite3.connect(outbox_path)
        while (reader.execute("SELECT count(*) FROM outbox").fetchone()[0]) > 0:
            if bridge.poll() is not None:
                sys.exit(f"the bridge exited; see {logs / 'drain-bridge.log'}")
            time.sleep(0.5)
        drained = time.perf_counter() - started
        ledger = call("ocpp.event", "search_count", [])
        print(
            f"drained {depth} events into Odoo in {drained:.1f} s "
            f"= {depth / drained:,.0f} events/s (batch {args.batch}); Odoo's ledger holds {ledger}",
        )
    finally:
        if bridge:
            bridge.terminate()
            bridge.wait(60)
        if server:
            harness.stop_server(server)
        pg.dropdb(db)
        pg.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
