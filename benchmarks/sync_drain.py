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
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import running_bridge, running_odoo

from arthexis_bridge.events import make_event
from arthexis_bridge.outbox import Outbox

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
    with tempfile.TemporaryDirectory(prefix="arthexis-drain-") as data_dir:
        outbox_path = Path(data_dir) / "bridge.sqlite3"
        started = time.perf_counter()
        depth = asyncio.run(fill(outbox_path, args.events))
        print(f"backlog: {depth} events written in {time.perf_counter() - started:.1f} s")
        with running_odoo("drain") as server:
            _node, login, key = server.bridge_login("drain")
            settings = {
                **server.bridge_env(login, key),
                "ARTHEXIS_BRIDGE_SYNC_BATCH": str(args.batch),
            }
            started = time.perf_counter()
            with running_bridge("drain", settings, data_dir) as bridge:
                reader = sqlite3.connect(outbox_path)
                while reader.execute("SELECT count(*) FROM outbox").fetchone()[0]:
                    if bridge.proc.poll() is not None:
                        sys.exit(f"the bridge exited; see {bridge.log_path}")
                    time.sleep(0.5)
                drained = time.perf_counter() - started
            ledger = server.call("ocpp.event", "search_count", [])
            print(
                f"drained {depth} events into Odoo in {drained:.1f} s "
                f"= {depth / drained:,.0f} events/s (batch {args.batch}); "
                f"Odoo's ledger holds {ledger}"
            )


if __name__ == "__main__":
    main()
