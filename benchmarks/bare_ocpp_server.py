"""A bare OCPP 1.6 central system built with the `ocpp` package that stores nothing.

The yardstick for benchmarks/bridge_throughput.py: what the library alone costs.
    python benchmarks/bare_ocpp_server.py PORT
"""

import asyncio
import sys
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, RegistrationStatus


def now():
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class BareChargePoint(ChargePoint):
    @on(Action.boot_notification)
    def on_boot(self, **_):
        return call_result.BootNotification(now(), 300, RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **_):
        return call_result.Heartbeat(now())

    @on(Action.meter_values)
    def on_meter_values(self, **_):
        return call_result.MeterValues()


async def serve(connection):
    charge_point_id = connection.request.path.rsplit("/", 1)[-1]
    try:
        await BareChargePoint(charge_point_id, connection).start()
    except websockets.ConnectionClosed:
        pass


async def main(port):
    async with websockets.serve(serve, "127.0.0.1", port, subprotocols=["ocpp1.6"]):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
