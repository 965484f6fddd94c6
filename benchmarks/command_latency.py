"""From a staff member's click in Odoo to the charger receiving the CALL.

Real Odoo on a fresh database, `arthexis-bridge run` syncing to it, N simulated
chargers connected. A charging manager creates M commands (DataTransfer, each
with its number as messageId) through the ORM over XML-RPC, one every
``--spacing`` seconds over the chargers in turn; each latency runs from the
create call returning (the "click") to the simulated charger receiving that
CALL. Then the bridge is left idle for ``--quiet`` seconds and every request
it makes to Odoo is counted, by method, through a small counting proxy between
the bridge and Odoo. A figure, not a test. Goals (docs/commands.md): p95 under
2 s; the idle command path at most one request every 10 s.

    .venv/bin/python benchmarks/command_latency.py [--chargers 10] [--commands 100]
"""

import argparse
import asyncio
import contextlib
import http.client
import http.server
import statistics
import sys
import threading
import time
import xmlrpc.client
from collections import Counter

from common import running_bridge, running_odoo

from arthexis_bridge.simulator import SimulatedCharger


class CountingProxy(http.server.ThreadingHTTPServer):
    """Forwards XML-RPC to Odoo and counts each call by method (``model.method``)."""

    daemon_threads = True

    def __init__(self, target_port):
        self.target_port = target_port
        self.counts = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Forward)

    def take(self):
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts


class _Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        params, method = xmlrpc.client.loads(body)
        if method == "execute_kw":
            method = f"{params[3]}.{params[4]}"
        with self.server.lock:
            self.server.counts[method] += 1
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=120)
        upstream.request("POST", self.path, body, {"Content-Type": "text/xml"})
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        # The bridge may have stopped meanwhile (a long poll still open at the end).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(answer.status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, *args):
        pass


def staff_caller(odoo):
    """execute_kw as a charging manager made for the run (not the administrator)."""
    uid, login = odoo.staff_login()
    local = threading.local()

    def call(model, method, *args):
        if not hasattr(local, "proxy"):
            local.proxy = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object", allow_none=True)
        return local.proxy.execute_kw(odoo.db, uid, login, model, method, list(args))

    return call


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(odoo, bridge, args):
    received = {}
    all_in = asyncio.Event()
    chargers = []
    for number in range(args.chargers):
        charger = SimulatedCharger(bridge.url, f"LAT-{number:03d}", connectors=1)

        def on_call(action, payload, charger=charger):
            if action == "DataTransfer":
                received[int(payload["messageId"])] = time.time()
                if len(received) >= args.commands:
                    all_in.set()

        charger.on_call = on_call
        await charger.connect()
        await charger.boot()
        chargers.append(charger)
    ids = {}
    deadline = time.monotonic() + 60
    while len(ids) < len(chargers) and time.monotonic() < deadline:
        rows = odoo.call(
            "ocpp.charger",
            "search_read",
            [("charge_point_id", "like", "LAT-")],
            ["charge_point_id"],
        )
        ids = {row["charge_point_id"]: row["id"] for row in rows}
        await asyncio.sleep(0.5)
    staff = staff_caller(odoo)
    await asyncio.sleep(2)  # the bridge's long poll now names every charger
    clicked = {}
    for seq in range(args.commands):
        charger = chargers[seq % len(chargers)]
        values = {
            "charger_id": ids[charger.id],
            "action": "DataTransfer",
            "payload": {"vendorId": "bench", "messageId": str(seq)},
        }
        await asyncio.to_thread(staff, "ocpp.command", "create", values)
        clicked[seq] = time.time()
        await asyncio.sleep(args.spacing)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), 30)
    latencies = [received[seq] - clicked[seq] for seq in clicked if seq in received]
    return chargers, latencies, len(clicked) - len(latencies)


async def main(args):
    with running_odoo("command-latency") as odoo:
        proxy = CountingProxy(odoo.port)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        _node, login, key = odoo.bridge_login()
        settings = odoo.bridge_env(login, key)
        settings["ARTHEXIS_BRIDGE_ODOO_URL"] = f"http://127.0.0.1:{proxy.server_address[1]}"
        with running_bridge("command-latency", settings) as bridge:
            chargers, latencies, lost = await measure(odoo, bridge, args)
            print(
                f"{args.commands} commands to {args.chargers} chargers, one every "
                f"{args.spacing} s; click (create returned) -> charger got the CALL:"
            )
            print(
                f"  p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms, min {min(latencies) * 1000:.0f} ms; "
                f"never received: {lost}"
            )
            await asyncio.sleep(5)  # results reported: the bridge is idle from here
            proxy.take()
            print(f"idle bridge, {args.chargers} chargers connected, {args.quiet} s:", flush=True)
            await asyncio.sleep(args.quiet)
            counts = proxy.take()
            for charger in chargers:
                await charger.close()
        proxy.shutdown()
    command_path = sum(
        n for method, n in counts.items() if method.endswith((".commands", ".command_sent"))
    )
    total = sum(counts.values())
    for method, count in sorted(counts.items()):
        print(f"  {method}: {count}")
    print(
        f"  command path: {command_path} requests ({args.quiet / max(command_path, 1):.1f} s "
        f"apart); all the bridge's requests: {total} ({args.quiet / max(total, 1):.1f} s apart)"
    )
    ok = percentile(latencies, 0.95) < 2 and command_path <= args.quiet / 10 and not lost
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=10)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between clicks")
    parser.add_argument("--quiet", type=int, default=60, help="seconds of idle to count")
    sys.exit(asyncio.run(main(parser.parse_args())))
