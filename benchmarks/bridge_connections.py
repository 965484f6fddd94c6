"""Resident memory of one bridge process serving thousands of charger sockets.

Starts `arthexis-bridge run` (standalone) and opens --chargers websocket
connections to it from this process, each booting and then heart-beating every
--heartbeat seconds for --seconds. Prints the bridge's resident memory (from
/proc) before, with every charger connected and booted, and at the end, and the
memory per connection. A figure, not a test.

    .venv/bin/python benchmarks/bridge_connections.py [--chargers 5000]
"""

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

import websockets
from common import running_bridge

BOOT = json.dumps([2, "b", "BootNotification", {"chargePointVendor": "B", "chargePointModel": "C"}])


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Settled:
    """Set once every charger has booted or failed."""

    def __init__(self, total):
        self.left, self.all = total, asyncio.Event()

    def one(self):
        self.left -= 1
        if self.left == 0:
            self.all.set()


async def charger(url, n, heartbeat, stop, booted, failures, settled):
    counted = False
    try:
        async with websockets.connect(
            f"{url}/CONN-{n:05d}", subprotocols=["ocpp1.6"], open_timeout=60, ping_interval=None
        ) as ws:
            await ws.send(BOOT)
            answer = json.loads(await ws.recv())
            assert answer[0] == 3 and answer[2]["status"] == "Accepted", answer
            booted.append(n)
            counted = True
            settled.one()
            beat = 0
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), heartbeat)
                except TimeoutError:
                    beat += 1
                    await ws.send(json.dumps([2, f"h{beat}", "Heartbeat", {}]))
                    assert json.loads(await ws.recv())[0] == 3
    except Exception as error:  # a benchmark counts failures; it does not stop on one
        failures.append(repr(error))
        if not counted:
            settled.one()


async def load(url, args, pid):
    stop, booted, failures, settled = asyncio.Event(), [], [], Settled(args.chargers)
    tasks = []
    started = time.perf_counter()
    for n in range(args.chargers):
        tasks.append(
            asyncio.create_task(charger(url, n, args.heartbeat, stop, booted, failures, settled))
        )
        if n % 200 == 199:
            await asyncio.sleep(0.2)  # open in waves, as a site powering up would
    await settled.all.wait()
    connected_in = time.perf_counter() - started
    booted_rss = rss_mib(pid)
    await asyncio.sleep(args.seconds)
    end_rss = rss_mib(pid)
    stop.set()
    await asyncio.gather(*tasks)
    return len(booted), len(failures), connected_in, booted_rss, end_rss, failures[:3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--heartbeat", type=float, default=10, help="seconds between heartbeats")
    parser.add_argument("--seconds", type=float, default=30, help="heart-beating time")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.chargers + 1024), hard))
    with running_bridge("connections") as bridge:
        idle = rss_mib(bridge.proc.pid)
        booted, failed, connected_in, booted_rss, end_rss, examples = asyncio.run(
            load(bridge.url, args, bridge.proc.pid)
        )
    print(f"{booted} chargers connected and booted in {connected_in:.1f} s, {failed} failed")
    for example in examples:
        print("  failure:", example)
    print(
        f"bridge resident memory: idle {idle:.0f} MiB, all booted {booted_rss:.0f} MiB, "
        f"after {args.seconds:.0f} s of heartbeats {end_rss:.0f} MiB"
    )
    print(f"per connection: {(end_rss - idle) * 1024 / max(booted, 1):.1f} KiB")


if __name__ == "__main__":
    main()
