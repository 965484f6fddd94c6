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
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

HERE = Path(__file__).resolve().parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def wait_listening(port, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited early with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("server did not listen")


def measure(name, command, env, port, args):
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, proc)
        result = asyncio.run(load(f"ws://127.0.0.1:{port}/ocpp", args.chargers, args.seconds, 2))
    finally:
        proc.terminate()
        proc.wait(30)
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
    data_dir = tempfile.mkdtemp(prefix="arthexis-bench-")
    try:
        port = free_port()
        env = {
            **os.environ,
            "ARTHEXIS_BRIDGE_HOST": "127.0.0.1",
            "ARTHEXIS_BRIDGE_PORT": str(port),
            "ARTHEXIS_BRIDGE_DATA_DIR": data_dir,
        }
        for name in ("URL", "DB", "LOGIN", "API_KEY"):
            env.pop(f"ARTHEXIS_BRIDGE_ODOO_{name}", None)
        exe = shutil.which("arthexis-bridge", path=str(Path(sys.executable).parent))
        print(
            f"{args.chargers} chargers, MeterValues (2 samples), closed loop, {args.seconds:.0f} s"
        )
        bridge = measure("bridge", [exe, "run", "--log-level", "WARNING"], env, port, args)
        port = free_port()
        bare = measure(
            "bare", [sys.executable, str(HERE / "bare_ocpp_server.py"), str(port)], env, port, args
        )
        print(f"ratio bridge/bare: {bridge['calls_per_s'] / bare['calls_per_s']:.2f}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
