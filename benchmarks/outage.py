"""A long Odoo outage under load: charging goes on, the backlog drains exactly once, in order.

A real Odoo on a fresh database and `arthexis-bridge run` syncing to it. N
simulated chargers (default 200) boot, start a session each and send
MeterValues (energy register and power) at ``--rate`` calls/s in all. After
``--warmup`` seconds Odoo is stopped for ``--minutes``; then started again while
the load goes on for ``--after`` seconds. Prints whether every call was
answered all along (and the slowest answer during the outage), the backlog
when Odoo came back, the time to drain it, and checks in PostgreSQL that each
charger's acknowledged events are in Odoo's ledger exactly once and its
samples in the order it sent them. A figure, not a test.

    .venv/bin/python benchmarks/outage.py [--minutes 3] [--rate 400] [--chargers 200]
"""

import argparse
import asyncio
import subprocess
import sys
import time

from common import running_bridge, running_odoo
from sustained_load import read_metrics

from arthexis_bridge.simulator import SimulatedCharger


class Load:
    """The chargers' calls, counted and timed, with the phase each was made in."""

    def __init__(self, url, chargers, rate):
        self.chargers = [
            SimulatedCharger(url, f"OUTAGE-{i:04d}", connectors=1, response_timeout=10)
            for i in range(chargers)
        ]
        self.interval = chargers / rate
        self.phase = "before"
        self.slowest = {}  # phase -> slowest answer, s
        self.calls = {}  # phase -> calls answered
        self.failures = []
        self.stop = asyncio.Event()

    async def run_one(self, charger):
        await charger.connect()
        await charger.boot()
        started = await charger.start_transaction(1, f"OUT{charger.id[-4:]}", 0)
        energy, due = 0, time.perf_counter()
        while not self.stop.is_set():
            due += self.interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            energy += 10
            phase, sent = self.phase, time.perf_counter()
            try:
                await charger.meter_values(1, started.transaction_id, energy, 7200)
            except Exception as error:  # a call not answered: charging would stop
                self.failures.append(f"{charger.id}: {type(error).__name__}: {error}")
                return
            took = time.perf_counter() - sent
            self.calls[phase] = self.calls.get(phase, 0) + 1
            self.slowest[phase] = max(took, self.slowest.get(phase, 0.0))
        await charger.close()


def depth(bridge):
    return int(read_metrics(bridge.port)["outbox_depth"])


def check_odoo(server, answered):
    """(chargers whose ledger count differs from calls answered, chargers out of order)."""
    query = """
        SELECT e.charge_point_id, count(*),
               (SELECT array_agg(m.value ORDER BY m.id) FROM ocpp_meter_value m
                 WHERE m.charger_id = c.id AND m.measurand = 'Energy.Active.Import.Register')
          FROM ocpp_event e JOIN ocpp_charger c ON c.id = e.charger_id
         WHERE e.charge_point_id LIKE 'OUTAGE-%' GROUP BY e.charge_point_id, c.id
    """
    out = subprocess.run(
        ["psql", "-d", server.db, "-AtF", "|", "-c", query],
        env=server.pg.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    counts, disordered = {}, []
    for line in out.splitlines():
        cp_id, count, values = line.split("|")
        counts[cp_id] = int(count)
        energy = [float(v) for v in values.strip("{}").split(",") if v]
        if energy != sorted(energy) or len(set(energy)) != len(energy):
            disordered.append(cp_id)
    wrong = {cp: (n, counts.get(cp, 0)) for cp, n in answered.items() if counts.get(cp, 0) != n}
    return wrong, disordered


async def scenario(server, bridge, args):
    load = Load(bridge.url, args.chargers, args.rate)
    runners = [asyncio.create_task(load.run_one(charger)) for charger in load.chargers]
    await asyncio.sleep(args.warmup)
    print(f"load running: outbox depth {depth(bridge)}; stopping Odoo", flush=True)
    await asyncio.to_thread(server.stop)
    load.phase = "outage"
    await asyncio.sleep(args.minutes * 60)
    backlog = await asyncio.to_thread(depth, bridge)
    print(f"after {args.minutes:g} min without Odoo: backlog {backlog:,} events; starting Odoo")
    load.phase = "after"
    await asyncio.to_thread(server.start)
    back = time.perf_counter()
    await asyncio.sleep(args.after)
    load.stop.set()
    await asyncio.gather(*runners)
    while await asyncio.to_thread(depth, bridge):
        if time.perf_counter() - back > 900:
            sys.exit("the backlog did not drain within 15 min")
        await asyncio.sleep(0.5)
    drained = time.perf_counter() - back
    return load, backlog, drained


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3, help="how long Odoo is down")
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=400, help="MeterValues calls/s in all")
    parser.add_argument("--warmup", type=float, default=15, help="seconds of load before")
    parser.add_argument("--after", type=float, default=30, help="seconds of load after")
    parser.add_argument("--workers", type=int, default=2, help="Odoo workers; 0: threaded")
    args = parser.parse_args()
    print(
        f"{args.chargers} chargers in session, MeterValues at {args.rate:,.0f} calls/s; "
        f"Odoo down for {args.minutes:g} min"
    )
    with running_odoo("outage", workers=args.workers) as server:
        _node, login, key = server.bridge_login("outage")
        settings = {**server.bridge_env(login, key), "ARTHEXIS_BRIDGE_UNKNOWN_TAGS": "accept"}
        with running_bridge("outage", settings) as bridge:
            load, backlog, drained = asyncio.run(scenario(server, bridge, args))
        answered = {charger.id: charger.answered for charger in load.chargers}
        for phase in ("before", "outage", "after"):
            print(
                f"{phase:7} {load.calls.get(phase, 0):8,} calls answered, "
                f"slowest answer {load.slowest.get(phase, 0) * 1000:6.0f} ms"
            )
        print(f"calls not answered: {len(load.failures)} {load.failures[:3]}")
        print(
            f"backlog {backlog:,} events at Odoo's return; outbox empty {drained:.1f} s later "
            f"(with the load going on for {args.after:g} s of it)"
        )
        wrong, disordered = check_odoo(server, answered)
        total = sum(answered.values())
        print(
            f"Odoo's ledger: {total - sum(n for n, _ in wrong.values()):,} of {total:,} "
            f"acknowledged events exactly once ({len(wrong)} chargers differ: "
            f"{dict(list(wrong.items())[:3])}); samples out of order on "
            f"{len(disordered)} chargers"
        )


if __name__ == "__main__":
    main()
