"""How fast Odoo ingests bridge events over real XML-RPC.

Creates a fresh database with the addons, starts a real Odoo HTTP server, makes
a node and its bridge key as an administrator would, then sends MeterValues
events (2 sampled values each, like a charger mid-session) as the bridge does:
in batches, one call after the other. Prints samples per second, batched and
one event per call. A figure, not a test: nothing here fails on timing.

    .venv/bin/python benchmarks/ingest.py [--events 20000] [--batch 500]
"""

import argparse
import time
import uuid
import xmlrpc.client

from common import running_odoo


def event(charger, kind, **data):
    return {
        "id": uuid.uuid4().hex,
        "charger": charger,
        "kind": kind,
        "at": "2026-11-22T10:00:00.000Z",
        "protocol": "ocpp1.6",
        "data": data,
    }


def meter_event(charger, n):
    stamp = f"2026-11-22T10:{n // 60 % 60:02d}:{n % 60:02d}Z"
    return event(
        charger,
        "meter_values",
        connector_id=1,
        transaction_id="1",
        samples=[
            {
                "timestamp": stamp,
                "value": str(1000 + n * 10),
                "unit": "Wh",
                "measurand": "Energy.Active.Import.Register",
            },
            {"timestamp": stamp, "value": "7200", "unit": "W", "measurand": "Power.Active.Import"},
        ],
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="meter events sent in batches")
    parser.add_argument("--batch", type=int, default=500, help="events per XML-RPC call")
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--single", type=int, default=300, help="events sent one per call")
    args = parser.parse_args()

    with running_odoo("bench") as server:
        _node, login, key = server.bridge_login("bench")
        common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
        uid = common.authenticate(server.db, login, key, {})
        models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object", allow_none=True)

        def ingest(events):
            return models.execute_kw(server.db, uid, key, "arthexis.bridge.api", "ingest", [events])

        chargers = [f"BENCH-{i:04d}" for i in range(args.chargers)]
        ingest([event(c, "boot", vendor="Bench", model="B1") for c in chargers])
        ingest(
            [
                event(
                    c,
                    "transaction_started",
                    transaction_id="1",
                    connector_id=1,
                    id_tag="BENCH",
                    meter_start=1000,
                    timestamp="2026-11-22T10:00:00Z",
                )
                for c in chargers
            ]
        )
        events = [meter_event(chargers[n % len(chargers)], n) for n in range(args.events)]
        started = time.perf_counter()
        latencies = []
        for i in range(0, len(events), args.batch):
            t0 = time.perf_counter()
            ingest(events[i : i + args.batch])
            latencies.append(time.perf_counter() - t0)
        batched = time.perf_counter() - started
        samples = 2 * len(events)

        singles = [meter_event(chargers[n % len(chargers)], n) for n in range(args.single)]
        started = time.perf_counter()
        for one in singles:
            ingest([one])
        single = time.perf_counter() - started

        latencies.sort()
        print(
            f"batched: {len(events)} events, {samples} samples in {batched:.2f} s "
            f"= {samples / batched:,.0f} samples/s ({len(events) / batched:,.0f} events/s), "
            f"batch of {args.batch}: median call {latencies[len(latencies) // 2] * 1000:.0f} ms"
        )
        print(
            f"one event per call: {args.single} calls in {single:.2f} s "
            f"= {args.single / single:,.0f} calls/s ({2 * args.single / single:,.0f} samples/s)"
        )


if __name__ == "__main__":
    main()
