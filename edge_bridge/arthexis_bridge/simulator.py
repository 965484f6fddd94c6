"""Simulated OCPP 1.6J charge points, for tests, demos and load.

A :class:`SimulatedCharger` connects to any central system at
``<url_base>/<charge point id>`` and makes the calls a real charger makes:
boot, status, heartbeat, and charging sessions (authorize, start, meter values,
stop). It uses the ``ocpp`` package, so what it sends is schema-valid, and the
answers it gets are checked against the schemas too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
from typing import Any
from urllib.parse import quote

from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.datatypes import MeterValue, SampledValue
from ocpp.v16.enums import (
    AuthorizationStatus,
    Location,
    Measurand,
    ReadingContext,
    RegistrationStatus,
    UnitOfMeasure,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.headers import build_authorization_basic

from .events import utc_timestamp

logger = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"


class SimulatedCharger:
    """One simulated charge point.

    Use it as ``async with SimulatedCharger(url_base, "SIM-1") as charger:``,
    then ``await charger.boot()``, ``status()``, ``heartbeat()``,
    ``authorize()``, ``start_transaction()``, ``meter_values()``,
    ``stop_transaction()``; or let :meth:`run` do the usual day of a charger
    for a while. Its connectors charge at ``power_w`` watts, and each keeps an
    energy register (Wh) that its sessions advance.
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
        power_w: float = 11_000,
        *,
        password: str | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.id = charge_point_id
        self.url = f"{url_base.rstrip('/')}/{quote(charge_point_id, safe='')}"
        self.connectors = connectors
        self.vendor, self.model, self.firmware = vendor, model, firmware
        self.serial = serial or charge_point_id
        self.response_timeout = response_timeout
        self.power_w = power_w
        #: HTTP Basic password (security profiles 1 and 2), TLS context (wss://).
        self.password = password
        self.ssl = ssl
        #: Each connector's energy register, in Wh.
        self.registers = dict.fromkeys(range(1, connectors + 1), 0)
        #: Sessions run by :meth:`run`: charged to the end (or the deadline), and refused.
        self.sessions_completed = 0
        self.sessions_refused = 0
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
        headers = {}
        if self.password is not None:
            headers["Authorization"] = build_authorization_basic(self.id, self.password)
        options: dict[str, Any] = {"ssl": self.ssl} if self.ssl is not None else {}
        self.connection = await connect(
            self.url, subprotocols=[SUBPROTOCOL], additional_headers=headers, **options
        )
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

    async def authorize(self, id_tag: str) -> call_result.Authorize:
        return await self.call(call.Authorize(id_tag=id_tag))

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        *,
        timestamp: str | None = None,
        reservation_id: int | None = None,
    ) -> call_result.StartTransaction:
        """Start a transaction (timestamp: now); the answer has its ``transaction_id``."""
        return await self.call(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=timestamp or utc_timestamp(),
                reservation_id=reservation_id,
            )
        )

    async def meter_values(
        self,
        connector_id: int,
        transaction_id: int | None,
        energy_wh: float,
        power_w: float,
        *,
        timestamp: str | None = None,
    ) -> call_result.MeterValues:
        """Report two sampled values: the energy register (Wh) and the power (W)."""
        return await self.call(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[meter_value(energy_wh, power_w, timestamp)],
            )
        )

    async def stop_transaction(
        self,
        transaction_id: int,
        meter_stop: int,
        reason: str = "Local",
        transaction_data: list | None = None,
        *,
        id_tag: str | None = None,
        timestamp: str | None = None,
    ) -> call_result.StopTransaction:
        """Stop a transaction (timestamp: now); ``transaction_data``: MeterValue items."""
        return await self.call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=timestamp or utc_timestamp(),
                transaction_id=transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=transaction_data,
            )
        )

    async def charge(
        self,
        connector_id: int,
        id_tag: str,
        energy_wh: float,
        meter_interval: float,
        deadline: float | None = None,
    ) -> bool:
        """One session as a charger runs it: authorize, Preparing, start, Charging, meter
        values every ``meter_interval`` seconds at ``power_w`` until ``energy_wh`` is
        delivered (or the loop time ``deadline`` comes), stop, Available.

        Returns False if the tag was refused (a refused start is stopped DeAuthorized).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1e9 if deadline is None else deadline
        answer = await self.authorize(id_tag)
        if answer.id_tag_info["status"] != AuthorizationStatus.accepted:
            logger.info("%s: id tag %s refused: %s", self.id, id_tag, answer.id_tag_info)
            return False
        await self.status(connector_id, "Preparing")
        meter = self.registers[connector_id]
        start = await self.start_transaction(connector_id, id_tag, round(meter))
        transaction_id = start.transaction_id
        if start.id_tag_info["status"] != AuthorizationStatus.accepted:
            logger.info(
                "%s: transaction %s refused: %s", self.id, transaction_id, start.id_tag_info
            )
            await self.stop_transaction(transaction_id, round(meter), reason="DeAuthorized")
            await self.status(connector_id, "Available")
            return False
        await self.status(connector_id, "Charging")
        target = meter + energy_wh
        step = self.power_w * meter_interval / 3600
        while meter < target and await _sleep_until(loop, deadline, meter_interval):
            meter = min(target, meter + step)
            self.registers[connector_id] = meter
            await self.meter_values(connector_id, transaction_id, meter, self.power_w)
        await self.stop_transaction(transaction_id, round(meter), id_tag=id_tag)
        await self.status(connector_id, "Available")
        return True

    async def run(
        self,
        duration: float,
        heartbeat_interval: float | None = None,
        *,
        sessions: int = 0,
        meter_interval: float = 60.0,
        session_kwh: float = 10.0,
        id_tag: str | None = None,
    ) -> None:
        """Boot (again until accepted), report every connector Available, run ``sessions``
        charging sessions one after another on connectors 1, 2, ... in turn, then
        heartbeat every ``heartbeat_interval`` seconds (default: as told at boot) until
        ``duration`` seconds have passed; a session still charging then is stopped.

        A session delivers ``session_kwh`` at ``power_w`` (see :meth:`charge`) with
        ``id_tag`` (default: the charge point id, cut to 20 characters). Connects and
        disconnects unless already connected.
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
            for number in range(sessions):
                if loop.time() >= deadline:
                    break
                connector_id = number % self.connectors + 1
                tag = id_tag or self.id[:20]
                energy_wh = session_kwh * 1000
                if await self.charge(connector_id, tag, energy_wh, meter_interval, deadline):
                    self.sessions_completed += 1
                else:
                    self.sessions_refused += 1
            interval = heartbeat_interval or answer.interval
            while await _sleep_until(loop, deadline, interval):
                await self.heartbeat()
        finally:
            if own_connection:
                await self.close()


def meter_value(energy_wh: float, power_w: float, timestamp: str | None = None) -> MeterValue:
    """A reading of the energy register (Wh) and the power (W), now unless ``timestamp``."""

    def sample(value: float, measurand: Measurand, unit: UnitOfMeasure) -> SampledValue:
        return SampledValue(
            value=f"{value:.3f}".rstrip("0").rstrip("."),
            context=ReadingContext.sample_periodic,
            measurand=measurand,
            location=Location.outlet,
            unit=unit,
        )

    return MeterValue(
        timestamp=timestamp or utc_timestamp(),
        sampled_value=[
            sample(energy_wh, Measurand.energy_active_import_register, UnitOfMeasure.wh),
            sample(power_w, Measurand.power_active_import, UnitOfMeasure.w),
        ],
    )


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float, seconds: float) -> bool:
    """Sleep ``seconds`` unless the deadline comes first; True if time remains after."""
    remaining = deadline - loop.time()
    if remaining <= 0:
        return False
    await asyncio.sleep(min(seconds, remaining))
    return loop.time() < deadline
