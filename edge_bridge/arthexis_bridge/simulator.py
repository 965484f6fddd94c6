"""Simulated OCPP 1.6J charge points, for tests, demos and load.

A :class:`SimulatedCharger` connects to any central system at
``<url_base>/<charge point id>`` and makes the calls a real charger makes. It
uses the ``ocpp`` package, so what it sends is schema-valid, and the answers it
gets are checked against the schemas too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import quote

from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import RegistrationStatus
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

logger = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"


class SimulatedCharger:
    """One simulated charge point.

    Use it as ``async with SimulatedCharger(url_base, "SIM-1") as charger:``,
    then ``await charger.boot()``, ``status()``, ``heartbeat()``; or let
    :meth:`run` do the usual day of a charger for a while.
    """

    def __init__(
        self,
        url_base: str,
        charge_point_id: str,
        connectors: int = 2,
        vendor: str = "Arthexis",
        model: str = "Simulator",
        serial: str | None = None,
        firmware: str = "sim-0.1",
        response_timeout: float = 30,
    ) -> None:
        self.id = charge_point_id
        self.url = f"{url_base.rstrip('/')}/{quote(charge_point_id, safe='')}"
        self.connectors = connectors
        self.vendor, self.model, self.firmware = vendor, model, firmware
        self.serial = serial or charge_point_id
        self.response_timeout = response_timeout
        #: The heartbeat interval the central system asked for at the last boot.
        self.heartbeat_interval: int | None = None
        #: Calls the central system answered with a CALLRESULT.
        self.answered = 0
        self.connection: ClientConnection | None = None
        self._charge_point: ChargePoint | None = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> SimulatedCharger:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the websocket, offering OCPP 1.6; raises InvalidStatus if refused."""
        self.connection = await connect(self.url, subprotocols=[SUBPROTOCOL])
        self._charge_point = ChargePoint(
            self.id, self.connection, response_timeout=self.response_timeout
        )
        self._reader = asyncio.create_task(self._read(), name=f"simulator {self.id} reader")

    async def _read(self) -> None:
        """Route incoming frames (answers to our calls) until the connection closes."""
        with contextlib.suppress(ConnectionClosed):
            await self._charge_point.start()

    async def close(self) -> None:
        if self.connection is None:
            return
        await self.connection.close()
        await self._reader  # re-raises whatever broke the reader
        self.connection = self._charge_point = self._reader = None

    async def call(self, payload: Any) -> Any:
        """Send one CALL; return the CALLRESULT, or raise the OCPP error of a CALLERROR."""
        if self._charge_point is None:
            raise RuntimeError(f"simulated charger {self.id} is not connected")
        result = await self._charge_point.call(payload, suppress=False)
        self.answered += 1
        return result

    async def boot(self) -> call_result.BootNotification:
        result = await self.call(
            call.BootNotification(
                charge_point_vendor=self.vendor,
                charge_point_model=self.model,
                charge_point_serial_number=self.serial,
                firmware_version=self.firmware,
            )
        )
        self.heartbeat_interval = result.interval
        return result

    async def status(
        self, connector_id: int, status: str, error_code: str = "NoError"
    ) -> call_result.StatusNotification:
        return await self.call(
            call.StatusNotification(connector_id=connector_id, error_code=error_code, status=status)
        )

    async def heartbeat(self) -> call_result.Heartbeat:
        return await self.call(call.Heartbeat())

    async def run(self, duration: float, heartbeat_interval: float | None = None) -> None:
        """Boot (again until accepted), report every connector Available, then heartbeat
        every ``heartbeat_interval`` seconds (default: as told at boot) until ``duration``
        seconds have passed. Connects and disconnects unless already connected.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        own_connection = self.connection is None
        if own_connection:
            await self.connect()
        try:
            answer = await self.boot()
            while answer.status != RegistrationStatus.accepted:
                logger.info(
                    "%s: boot %s; booting again in %s s", self.id, answer.status, answer.interval
                )
                if not await _sleep_until(loop, deadline, answer.interval or 10):
                    return
                answer = await self.boot()
            for connector_id in range(1, self.connectors + 1):
                await self.status(connector_id, "Available")
            interval = heartbeat_interval or answer.interval
            while await _sleep_until(loop, deadline, interval):
                await self.heartbeat()
        finally:
            if own_connection:
                await self.close()


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float, seconds: float) -> bool:
    """Sleep ``seconds`` unless the deadline comes first; True if time remains after."""
    remaining = deadline - loop.time()
    if remaining <= 0:
        return False
    await asyncio.sleep(min(seconds, remaining))
    return loop.time() < deadline
