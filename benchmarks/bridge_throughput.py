"""Calls per second and answer latency of the bridge against a bare OCPP server.

N simulated chargers (default 200) each send MeterValues with 2 sampled values
in a closed loop (the next call as soon as the answer arrives) for a fixed time,
first against `arthexis-bridge run` (schema validation, durable SQLite outbox,
standalone), then against benchmarks/bare_ocpp_server.py (the `ocpp` package
storing nothing), each in its own process, on loopback. Prints calls/s, p50 and
p99 latency for both and the ratio. A figure, not a test.

    .venv/bin/python benchmarks/bridge_throughput.py [--chargers 200] [--seconds 20]
"""

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import websockets
from common import free_port, running_bridge

HERE = Path(__file__).resolve().parent


def meter_values(n):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": stamp,
                "sampledValue": [
                    {
                        "value": str(1000 + n),
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                    },
                    {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                ],
            }
        ],
    }
    return json.dumps([2, f"m{n}", "MeterValues", payload])


async def charger(url, cp_id, deadline, warmup_end, latencies, errors):
    async with websockets.connect(f"{url}/{cp_id}", subprotocols=["ocpp1.6"], max_queue=None) as ws:
        boot = {"chargePointVendor": "Bench", "chargePointModel": "B1"}
        await ws.send(json.dumps([2, "boot", "BootNotification", boot]))
        await ws.recv()
        n = 0
        while (now := time.perf_counter()) < deadline:
            n += 1
            await ws.send(meter_values(n))
            answer = json.loads(await ws.recv())
            if answer[0] != 3:
                errors.append(answer)
            if now >= warmup_end:
                latencies.append(time.perf_counter() - now)


async def load(url, chargers, seconds, warmup):
    latencies, errors = [], []
    start = time.perf_counter()
    deadline = start + warmup + seconds
    await asyncio.gather(
        *(
            charger(url, f"BENCH-{i:04d}", deadline, start + warmup, latencies, errors)
            for i in range(chargers)
        )
    )
    latencies.sort()
    return {
        "calls_per_s": len(latencies) / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": len(errors),
    }


@contextlib.contextmanager
def bare_server():
    """benchmarks/bare_ocpp_server.py on a free port; yields its OCPP URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "bare_ocpp_server.py"), str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the bare server did not start")
                time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}/ocpp"
    finally:
        proc.terminate()
        proc.wait(30)


def measure(name, url, args):
    result = asyncio.run(load(url, args.chargers, args.seconds, 2))
    print(
        f"{name:8} {result['calls_per_s']:8,.0f} calls/s   p50 {result['p50_ms']:6.1f} ms   "
        f"p99 {result['p99_ms']:6.1f} ms   errors {result['errors']}",
        flush=True,
    )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    print(f"{args.chargers} chargers, MeterValues (2 samples), closed loop, {args.seconds:.0f} s")
    with running_bridge("throughput") as bridge:
        ours = measure("bridge", bridge.url, args)
    with bare_server() as url:
        bare = measure("bare", url, args)
    print(f"ratio bridge/bare: {ours['calls_per_s'] / bare['calls_per_s']:.2f}")


if __name__ == "__main__":
    main()
