"""Whether Odoo keeps up with a busy bridge: the outbox depth under sustained load.

A real Odoo on a fresh database, `arthexis-bridge run` syncing to it, and N
simulated chargers (default 200) sending MeterValues (2 sampled values) in a
closed loop, or paced to ``--rate`` calls/s in all, for ``--seconds``. The
outbox depth is read from the bridge's /metrics every second. Prints calls/s
accepted, samples/s landed in Odoo, the depth at start, middle and end, its
maximum, and whether it stayed bounded (its trend over the last two thirds is
under 2 % of the accepted rate); then waits for the rest to drain and checks
that Odoo holds every sample. A figure, not a test.

    .venv/bin/python benchmarks/sustained_load.py [--seconds 60] [--rate 0] [--workers 2]
"""

import argparse
import asyncio
import json
import sys
import time
import urllib.request

import websockets
from bridge_throughput import meter_values
from common import running_bridge, running_odoo


async def charger(url, cp_id, deadline, interval, answered):
    """Boot, then MeterValues until the deadline: back to back, or one per ``interval``."""
    async with websockets.connect(f"{url}/{cp_id}", subprotocols=["ocpp1.6"], max_queue=None) as ws:
        boot = {"chargePointVendor": "Bench", "chargePointModel": "B1"}
        await ws.send(json.dumps([2, "boot", "BootNotification", boot]))
        await ws.recv()
        n, due = 0, time.perf_counter()
        while time.perf_counter() < deadline:
            if interval:
                due += interval
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            n += 1
            await ws.send(meter_values(n))
            if json.loads(await ws.recv())[0] == 3:
                answered[0] += 1


def read_metrics(port):
    """The bridge's gauges and counters, by name without the prefix."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("arthexis_bridge_") and "{" not in line:
            name, value = line.split()
            values[name.removeprefix("arthexis_bridge_")] = float(value)
    return values


async def sample(port, samples, stop):
    """Every second: (seconds since start, outbox depth, events delivered)."""
    start = time.perf_counter()
    while not stop.is_set():
        metrics = await asyncio.to_thread(read_metrics, port)
        samples.append(
            (
                time.perf_counter() - start,
                metrics["outbox_depth"],
                metrics["events_delivered_total"],
            )
        )
        await asyncio.sleep(1 - (time.perf_counter() - start) % 1)


async def load(bridge, args):
    answered, samples, stop = [0], [], asyncio.Event()
    sampler = asyncio.create_task(sample(bridge.port, samples, stop))
    interval = args.chargers / args.rate if args.rate else 0
    deadline = time.perf_counter() + args.seconds
    await asyncio.gather(
        *(
            charger(bridge.url, f"SUST-{i:04d}", deadline, interval, answered)
            for i in range(args.chargers)
        )
    )
    stop.set()
    await sampler
    return answered[0], samples


def slope(points):
    """Least squares growth of depth, per second."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_d = sum(d for _, d in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (d - mean_d) for t, d in points) / var if var else 0.0


def report(answered, samples, seconds):
    depths = [(t, d) for t, d, _ in samples]
    accepted = answered / seconds
    landed = (samples[-1][2] - samples[0][2]) / (samples[-1][0] - samples[0][0])
    trend = slope(depths[len(depths) // 3 :])
    third = [d for _, d in depths[2 * len(depths) // 3 :]]
    print(f"accepted {accepted:,.0f} calls/s   landed in Odoo {2 * landed:,.0f} samples/s")
    print(
        f"outbox depth: start {depths[0][1]:,.0f}  middle {depths[len(depths) // 2][1]:,.0f}  "
        f"end {depths[-1][1]:,.0f}  max {max(d for _, d in depths):,.0f}  "
        f"last-third mean {sum(third) / len(third):,.0f}"
    )
    bounded = trend < 0.02 * accepted
    print(
        f"depth trend over the last two thirds: {trend:+,.0f} events/s -> "
        f"{'BOUNDED (Odoo keeps up)' if bounded else 'GROWING (Odoo falls behind)'}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=0, help="calls/s in all; 0: closed loop")
    parser.add_argument("--workers", type=int, default=2, help="Odoo workers; 0: threaded")
    parser.add_argument("--lanes", type=int, default=4, help="the bridge's sync_lanes")
    parser.add_argument("--batch", type=int, default=500, help="the bridge's sync batch size")
    args = parser.parse_args()
    pace = f"{args.rate:,.0f} calls/s" if args.rate else "closed loop"
    print(
        f"{args.chargers} chargers, MeterValues (2 samples), {pace}, {args.seconds:.0f} s; "
        f"Odoo workers {args.workers}, sync lanes {args.lanes}, batch {args.batch}"
    )
    with running_odoo("sustained", workers=args.workers) as server:
        _node, login, key = server.bridge_login("sustained")
        settings = {
            **server.bridge_env(login, key),
            "ARTHEXIS_BRIDGE_SYNC_LANES": str(args.lanes),
            "ARTHEXIS_BRIDGE_SYNC_BATCH": str(args.batch),
        }
        with running_bridge("sustained", settings) as bridge:
            answered, samples = asyncio.run(load(bridge, args))
            report(answered, samples, args.seconds)
            started = time.perf_counter()
            while read_metrics(bridge.port)["outbox_depth"]:
                if time.perf_counter() - started > 300:
                    sys.exit("the backlog did not drain within 300 s")
                time.sleep(0.5)
            print(f"the rest drained in {time.perf_counter() - started:.1f} s")
        stored = server.call("ocpp.meter.value", "search_count", [])
        verdict = "every sample" if stored == 2 * answered else "MISSING OR EXTRA SAMPLES"
        print(f"Odoo holds {stored:,} samples for {answered:,} answered calls: {verdict}")


if __name__ == "__main__":
    main()
