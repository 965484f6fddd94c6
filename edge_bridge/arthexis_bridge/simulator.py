"""Simulated OCPP 1.6J charge points, for tests, demos and load.

A :class:`SimulatedCharger` connects to any central system at
``<url_base>/<charge point id>`` and makes the calls a real charger makes:
boot, status, heartbeat, and charging sessions (authorize, start, meter values,
stop). It uses the ``ocpp`` package, so what it sends is schema-valid, and the
answers it gets are checked against the schemas too.

It also answers every OCPP 1.6 central system -> charge point action as a real
charger does (:class:`SimulatedChargePoint`): Accepted by default, or what
``answers`` says per action (another status 1.6 allows, ``NO_ANSWER`` for a
charger that never answers, ``CALL_ERROR`` for a CALLERROR). Remote start and
stop run real sessions, GetConfiguration and ChangeConfiguration use a
plausible configuration, TriggerMessage sends the message asked for,
ChangeAvailability and reservations report the connectors' new status,
UpdateFirmware downloads the file and GetDiagnostics uploads one over HTTP with
their status notifications, and SetChargingProfile limits are kept in ``limits``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ocpp.exceptions import NotSupportedError
from ocpp.messages import Call, unpack
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.datatypes import MeterValue, SampledValue
from ocpp.v16.enums import (
    Action,
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

from .events import parse_time, utc_timestamp

logger = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"

#: ``answers`` values: never answer the CALL, or answer it with a CALLERROR.
NO_ANSWER = "no answer"
CALL_ERROR = "CALLERROR"


def default_configuration(connectors: int) -> dict[str, tuple[str, bool]]:
    """A plausible 1.6 configuration: key -> (value, read-only)."""
    return {
        "HeartbeatInterval": ("300", False),
        "ConnectionTimeOut": ("60", False),
        "MeterValueSampleInterval": ("60", False),
        "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", False),
        "AuthorizeRemoteTxRequests": ("true", False),
        "LocalAuthorizeOffline": ("true", False),
        "LocalAuthListEnabled": ("true", False),
        "LocalAuthListMaxLength": ("1000", True),
        "SendLocalListMaxLength": ("100", True),
        "NumberOfConnectors": (str(connectors), True),
        "ResetRetries": ("1", False),
        "ChargeProfileMaxStackLevel": ("10", True),
        "ChargingScheduleAllowedChargingRateUnit": ("Current,Power", True),
        "SupportedFeatureProfiles": (
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,"
            "RemoteTrigger",
            True,
        ),
    }


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
        #: Per action, how to answer the central system (default Accepted): another
        #: status 1.6 allows for it, NO_ANSWER or CALL_ERROR.
        self.answers: dict[str, str] = {}
        #: The central system's calls, as received: (loop time, action, payload).
        self.received: list[tuple[float, str, dict[str, Any]]] = []
        #: Called with (action, payload) on each call received, before it is answered.
        self.on_call: Any = None
        self.configuration = default_configuration(connectors)
        #: Active sessions (connector -> transaction id), and remote-started ones' tasks.
        self.active: dict[int, int] = {}
        self._sessions: dict[int, asyncio.Task] = {}
        self._stopping: dict[int, asyncio.Event] = {}
        self._tasks: set[asyncio.Task] = set()
        #: SetChargingProfile limits by connector (0: the charger), with their unit.
        self.limits: dict[int, tuple[float, str]] = {}
        self.profiles: dict[int, dict[str, Any]] = {}
        self.local_list_version = 0
        self.local_list: dict[str, Any] = {}
        self.reservations: dict[int, dict[str, Any]] = {}
        #: ChangeAvailability types by connector (absent: Operative), and the ones
        #: Scheduled for when the connector's session ends.
        self.availability: dict[int, str] = {}
        self.scheduled_availability: dict[int, str] = {}
        #: Seconds between meter values of a remote-started session.
        self.meter_interval = 1.0
        #: File transfers: the last FirmwareStatus / DiagnosticsStatus sent, the
        #: firmware downloaded and the diagnostics uploaded, and the HTTP timeout.
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"
        self.firmware_downloaded: bytes | None = None
        self.diagnostics_uploaded: bytes | None = None
        self.transfer_timeout = 30.0

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
        self._charge_point = SimulatedChargePoint(
            self, self.id, self.connection, response_timeout=self.response_timeout
        )
        self._reader = asyncio.create_task(self._read(), name=f"simulator {self.id} reader")

    async def _read(self) -> None:
        """Route incoming frames (answers to our calls) until the connection closes."""
        with contextlib.suppress(ConnectionClosed):
            await self._charge_point.start()

    async def close(self) -> None:
        if self.connection is None:
            return
        for task in [*self._tasks, *self._sessions.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._sessions.values(), return_exceptions=True)
        self._sessions.clear()
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
        """Start a transaction (timestamp: now); the answer has its ``transaction_id``.

        A reservation of ``id_tag`` on the connector is used, as a real charger does."""
        if reservation_id is None:
            reservation_id = self.reservation_for(connector_id, id_tag)
        self.reservations.pop(reservation_id, None)
        result = await self.call(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=timestamp or utc_timestamp(),
                reservation_id=reservation_id,
            )
        )
        if result.id_tag_info["status"] == AuthorizationStatus.accepted:
            self.active[connector_id] = result.transaction_id
        return result

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
        """Stop a transaction (timestamp: now); ``transaction_data``: MeterValue items.

        Its connector's TxProfile limit ends with it, as on a real charger."""
        connectors = [c for c, t in self.active.items() if t == transaction_id]
        for connector_id in connectors:
            self.limits.pop(connector_id, None)
            self.profiles.pop(connector_id, None)
        result = await self.call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=timestamp or utc_timestamp(),
                transaction_id=transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=transaction_data,
            )
        )
        for connector_id in connectors:
            self.active.pop(connector_id, None)
            if connector_id in self.scheduled_availability:
                self.availability[connector_id] = self.scheduled_availability.pop(connector_id)
        return result

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
        await self.status(connector_id, self.idle_status(connector_id))
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

    def idle_status(self, connector_id: int) -> str:
        """The status of a connector without a session: Unavailable, Reserved or Available."""
        if self.availability.get(connector_id, "Operative") == "Inoperative":
            return "Unavailable"
        if any(r["connector_id"] == connector_id for r in self.reservations.values()):
            return "Reserved"
        return "Available"

    def reservation_for(self, connector_id: int, id_tag: str) -> int | None:
        """The id of a reservation of ``id_tag`` on this connector (or on connector 0)."""
        for number, reservation in self.reservations.items():
            if reservation["id_tag"] == id_tag and reservation["connector_id"] in (0, connector_id):
                return number
        return None

    async def update_firmware(
        self, location: str, retrieve_date: str, retries: int | None, retry_interval: int | None
    ) -> None:
        """What UpdateFirmware sets off: wait for the retrieve date, download the file
        (Downloading, then Downloaded or DownloadFailed, ``retries`` times at most),
        install it (Installing, Installed). Each step is a FirmwareStatusNotification."""
        delay = (parse_time(retrieve_date) - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        content = await self._transfer(
            self.firmware_step,
            ("Downloading", "DownloadFailed"),
            retries,
            retry_interval,
            _download,
            location,
        )
        if content is not None:
            self.firmware_downloaded = content
            for step in ("Downloaded", "Installing", "Installed"):
                await self.firmware_step(step)

    async def firmware_step(self, status: str) -> None:
        self.firmware_status = status
        await self.call(call.FirmwareStatusNotification(status=status))

    async def upload_diagnostics(
        self, location: str, file_name: str, retries: int | None, retry_interval: int | None
    ) -> None:
        """What GetDiagnostics sets off: upload a report to ``location`` as an HTTP
        multipart POST (Uploading, then Uploaded or UploadFailed, ``retries`` times at
        most). Each step is a DiagnosticsStatusNotification."""
        content = self.diagnostics_report()
        done = await self._transfer(
            self.diagnostics_step,
            ("Uploading", "UploadFailed"),
            retries,
            retry_interval,
            _upload,
            location,
            file_name,
            content,
        )
        if done is not None:
            self.diagnostics_uploaded = content
            await self.diagnostics_step("Uploaded")

    async def diagnostics_step(self, status: str) -> None:
        self.diagnostics_status = status
        await self.call(call.DiagnosticsStatusNotification(status=status))

    async def _transfer(
        self,
        step: Any,
        statuses: tuple[str, str],
        retries: int | None,
        retry_interval: int | None,
        work: Any,
        *args: Any,
    ) -> Any:
        """Run a blocking HTTP transfer in a thread, ``retries`` times at most (1 when
        not given), reporting ``step`` busy before each try and failed after each failure.
        Returns what ``work`` returned, or None if every try failed."""
        busy, failed = statuses
        for attempt in range(max(1, retries or 1)):
            if attempt:
                await asyncio.sleep(retry_interval or 0)
            await step(busy)
            try:
                result = await asyncio.to_thread(work, *args, self.transfer_timeout)
            except OSError as error:  # URLError, HTTPError, timeouts
                logger.info("%s: %s from %s failed: %s", self.id, work.__name__, args[0], error)
                await step(failed)
                continue
            return result
        return None

    def diagnostics_report(self) -> bytes:
        """A small log as a charger would upload: who it is and the calls it received."""
        lines = [f"{self.id} {self.vendor} {self.model} firmware {self.firmware}"]
        lines += [f"{at:.3f} {action}" for at, action, _payload in self.received]
        return ("\n".join(lines) + "\n").encode()

    def received_calls(self, action: str) -> list[dict[str, Any]]:
        """The payloads of the calls of one action received so far, as sent (camelCase)."""
        return [payload for _at, name, payload in self.received if name == action]

    def spawn(self, coro: Any) -> None:
        """Run what an answer sets off (a session, a triggered message) after answering."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: %s failed", self.id, task.get_name(), exc_info=task.exception())

    async def remote_session(self, connector_id: int, id_tag: str) -> None:
        """A session the central system started: authorize first if the configuration's
        AuthorizeRemoteTxRequests says so, start, Charging, meter values every
        ``meter_interval`` s at ``power_w`` until stopped."""
        loop = asyncio.get_running_loop()
        stop = self._stopping[connector_id] = asyncio.Event()
        try:
            if self.configuration["AuthorizeRemoteTxRequests"][0] == "true":
                answer = await self.authorize(id_tag)
                if answer.id_tag_info["status"] != AuthorizationStatus.accepted:
                    return
            await self.status(connector_id, "Preparing")
            meter = self.registers[connector_id]
            start = await self.start_transaction(connector_id, id_tag, round(meter))
            if start.id_tag_info["status"] != AuthorizationStatus.accepted:
                await self.stop_transaction(start.transaction_id, round(meter), "DeAuthorized")
                await self.status(connector_id, "Available")
                return
            await self.status(connector_id, "Charging")
            last = loop.time()
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.meter_interval)
                now = loop.time()
                meter += self.power_w * (now - last) / 3600
                last = now
                self.registers[connector_id] = meter
                await self.meter_values(connector_id, start.transaction_id, meter, self.power_w)
            await self.stop_transaction(start.transaction_id, round(meter), "Remote", id_tag=id_tag)
            await self.status(connector_id, self.idle_status(connector_id))
        finally:
            self._sessions.pop(connector_id, None)
            self._stopping.pop(connector_id, None)


class SimulatedChargePoint(ChargePoint):
    """The ``ocpp`` charge point of a :class:`SimulatedCharger`: answers the central
    system's calls as the charger's ``answers`` and state say."""

    def __init__(self, charger: SimulatedCharger, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.charger = charger

    async def route_message(self, raw_msg: str | bytes) -> None:
        try:
            message = unpack(raw_msg)
        except Exception:
            message = None
        if isinstance(message, Call):
            charger = self.charger
            loop = asyncio.get_running_loop()
            charger.received.append((loop.time(), message.action, message.payload))
            if charger.on_call is not None:
                charger.on_call(message.action, message.payload)
            if charger.answers.get(message.action) == NO_ANSWER:
                return
        await super().route_message(raw_msg)

    def _status(self, action: str, default: str = "Accepted") -> str:
        answer = self.charger.answers.get(action, default)
        if answer == CALL_ERROR:
            raise NotSupportedError(description=f"the simulator refuses {action}")
        return answer

    @on(Action.reset)
    def on_reset(self, type: str) -> call_result.Reset:
        return call_result.Reset(status=self._status(Action.reset))

    @on(Action.clear_cache)
    def on_clear_cache(self) -> call_result.ClearCache:
        return call_result.ClearCache(status=self._status(Action.clear_cache))

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status=self._status(Action.unlock_connector, "Unlocked"))

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str) -> Any:
        """Connector 0 is every connector. One with a session changes when it ends
        (Scheduled); the others at once, each reporting its new status after the answer."""
        charger = self.charger
        connectors = list(charger.registers) if connector_id == 0 else [connector_id]
        busy = [c for c in connectors if c in charger.active or c in charger._sessions]
        status = self._status(Action.change_availability, "Scheduled" if busy else "Accepted")
        changed = []
        if status in ("Accepted", "Scheduled"):
            for number in connectors:
                if number in busy:
                    charger.scheduled_availability[number] = type
                else:
                    charger.availability[number] = type
                    changed.append(number)
        self._availability_changed = changed
        return call_result.ChangeAvailability(status=status)

    @after(Action.change_availability)
    def after_change_availability(self, connector_id: int, type: str) -> None:
        self.charger.spawn(self._report_idle(self._availability_changed))

    async def _report_idle(self, connectors: list[int]) -> None:
        for number in connectors:  # one after the other, as a charger does
            await self.charger.status(number, self.charger.idle_status(number))

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> call_result.DataTransfer:
        """Data for this charger's vendor is echoed back; another vendor's is unknown."""
        known = vendor_id == self.charger.vendor
        status = self._status(Action.data_transfer, "Accepted" if known else "UnknownVendorId")
        data = kwargs.get("data")
        if status != "Accepted":
            return call_result.DataTransfer(status=status)
        return call_result.DataTransfer(status=status, data=f"echo:{data}" if data else None)

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None) -> Any:
        self._status(Action.get_configuration)
        configuration = self.charger.configuration
        names = list(configuration) if not key else key
        known = [name for name in names if name in configuration]
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": name, "readonly": configuration[name][1], "value": configuration[name][0]}
                for name in known
            ],
            unknown_key=[name for name in names if name not in configuration] or None,
        )

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str) -> Any:
        configuration = self.charger.configuration
        default = "Accepted"
        if key not in configuration:
            default = "NotSupported"
        elif configuration[key][1]:
            default = "Rejected"
        status = self._status(Action.change_configuration, default)
        if status in ("Accepted", "RebootRequired") and key in configuration:
            configuration[key] = (value, False)
        return call_result.ChangeConfiguration(status=status)

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag: str, **kwargs: Any) -> Any:
        charger = self.charger
        connector_id = kwargs.get("connector_id")
        if connector_id is None:  # the first free connector
            free = [c for c in charger.registers if c not in charger._sessions]
            connector_id = free[0] if free else None
        default = "Accepted"
        if connector_id is None or connector_id in charger._sessions:
            default = "Rejected"
        status = self._status(Action.remote_start_transaction, default)
        if status == "Accepted":
            if kwargs.get("charging_profile"):
                self._keep_profile(connector_id, kwargs["charging_profile"])
            charger._sessions[connector_id] = asyncio.Future()  # taken until it runs
        self._remote_start = (status, connector_id, id_tag)
        return call_result.RemoteStartTransaction(status=status)

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(self, id_tag: str, **kwargs: Any) -> None:
        status, connector_id, tag = self._remote_start
        if status != "Accepted":
            return
        charger = self.charger
        task = asyncio.create_task(charger.remote_session(connector_id, tag))
        task.add_done_callback(charger._done)
        charger._sessions[connector_id] = task

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int) -> Any:
        charger = self.charger
        found = [c for c, t in charger.active.items() if t == transaction_id]
        status = self._status(Action.remote_stop_transaction, "Accepted" if found else "Rejected")
        if status == "Accepted" and found:
            charger._stopping[found[0]].set()
        return call_result.RemoteStopTransaction(status=status)

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, **kwargs: Any) -> Any:
        return call_result.TriggerMessage(status=self._status(Action.trigger_message))

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, **kwargs: Any) -> None:
        if self.charger.answers.get(Action.trigger_message, "Accepted") != "Accepted":
            return
        self.charger.spawn(self._triggered(requested_message, kwargs.get("connector_id")))

    async def _triggered(self, message: str, connector_id: int | None) -> None:
        charger = self.charger
        if message == "BootNotification":
            await charger.boot()
        elif message == "Heartbeat":
            await charger.heartbeat()
        elif message == "StatusNotification":
            for number in [connector_id] if connector_id else list(charger.registers):
                status = "Charging" if number in charger.active else charger.idle_status(number)
                await charger.status(number, status)
        elif message == "MeterValues":
            for number in [connector_id] if connector_id else list(charger.registers):
                transaction = charger.active.get(number)
                await charger.meter_values(number, transaction, charger.registers[number], 0)
        elif message == "FirmwareStatusNotification":
            await charger.call(call.FirmwareStatusNotification(status=charger.firmware_status))
        elif message == "DiagnosticsStatusNotification":
            status = charger.diagnostics_status
            await charger.call(call.DiagnosticsStatusNotification(status=status))

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version: int, update_type: str, **kwargs: Any) -> Any:
        """A differential update not newer than the list is a VersionMismatch."""
        charger = self.charger
        default = "Accepted"
        if charger.configuration["LocalAuthListEnabled"][0] != "true":
            default = "NotSupported"
        elif update_type == "Differential" and list_version <= charger.local_list_version:
            default = "VersionMismatch"
        status = self._status(Action.send_local_list, default)
        if status == "Accepted":
            if update_type == "Full":
                charger.local_list = {}
            for entry in kwargs.get("local_authorization_list") or []:
                if entry.get("id_tag_info"):
                    charger.local_list[entry["id_tag"]] = entry["id_tag_info"]
                else:
                    charger.local_list.pop(entry["id_tag"], None)
            charger.local_list_version = list_version
        return call_result.SendLocalList(status=status)

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self) -> Any:
        self._status(Action.get_local_list_version)
        return call_result.GetLocalListVersion(list_version=self.charger.local_list_version)

    @on(Action.reserve_now)
    def on_reserve_now(self, connector_id: int, reservation_id: int, **kwargs: Any) -> Any:
        """A connector in a session is Occupied, a disabled one Unavailable; an accepted
        reservation makes the connector Reserved."""
        charger = self.charger
        default = "Accepted"
        if connector_id in charger.active or connector_id in charger._sessions:
            default = "Occupied"
        elif charger.idle_status(connector_id) == "Unavailable":
            default = "Unavailable"
        status = self._status(Action.reserve_now, default)
        if status == "Accepted":
            charger.reservations[reservation_id] = {"connector_id": connector_id, **kwargs}
        self._reserved = connector_id if status == "Accepted" else None
        return call_result.ReserveNow(status=status)

    @after(Action.reserve_now)
    def after_reserve_now(self, connector_id: int, reservation_id: int, **kwargs: Any) -> None:
        if self._reserved:
            self.charger.spawn(self.charger.status(self._reserved, "Reserved"))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int) -> Any:
        charger = self.charger
        default = "Accepted" if reservation_id in charger.reservations else "Rejected"
        status = self._status(Action.cancel_reservation, default)
        self._freed = None
        if status == "Accepted":
            reservation = charger.reservations.pop(reservation_id, None)
            self._freed = reservation and reservation["connector_id"]
        return call_result.CancelReservation(status=status)

    @after(Action.cancel_reservation)
    def after_cancel_reservation(self, reservation_id: int) -> None:
        charger = self.charger
        if self._freed and self._freed not in charger.active:
            charger.spawn(charger.status(self._freed, charger.idle_status(self._freed)))

    @on(Action.update_firmware)
    def on_update_firmware(self, location: str, retrieve_date: str, **kwargs: Any) -> Any:
        self._status(Action.update_firmware)
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location: str, retrieve_date: str, **kwargs: Any) -> None:
        self.charger.spawn(
            self.charger.update_firmware(
                location, retrieve_date, kwargs.get("retries"), kwargs.get("retry_interval")
            )
        )

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location: str, **kwargs: Any) -> Any:
        self._status(Action.get_diagnostics)
        return call_result.GetDiagnostics(file_name=self._diagnostics_file())

    @after(Action.get_diagnostics)
    def after_get_diagnostics(self, location: str, **kwargs: Any) -> None:
        self.charger.spawn(
            self.charger.upload_diagnostics(
                location,
                self._diagnostics_file(),
                kwargs.get("retries"),
                kwargs.get("retry_interval"),
            )
        )

    def _diagnostics_file(self) -> str:
        return f"{self.charger.id}-diagnostics.log"

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict) -> Any:
        status = self._status(Action.set_charging_profile)
        if status == "Accepted":
            self._keep_profile(connector_id, cs_charging_profiles)
        return call_result.SetChargingProfile(status=status)

    def _keep_profile(self, connector_id: int, profile: dict[str, Any]) -> None:
        schedule = profile["charging_schedule"]
        limit = schedule["charging_schedule_period"][0]["limit"]
        self.charger.limits[connector_id] = (float(limit), schedule["charging_rate_unit"])
        self.charger.profiles[connector_id] = profile

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **kwargs: Any) -> Any:
        """Clear the profiles matching every criterion given; none matching: Unknown."""
        charger = self.charger
        criteria = {
            "charging_profile_id": kwargs.get("id"),
            "charging_profile_purpose": kwargs.get("charging_profile_purpose"),
            "stack_level": kwargs.get("stack_level"),
        }
        connector_id = kwargs.get("connector_id")
        known = [
            number
            for number, profile in charger.profiles.items()
            if connector_id in (None, number)
            and all(v is None or profile.get(k) == v for k, v in criteria.items())
        ]
        status = self._status(Action.clear_charging_profile, "Accepted" if known else "Unknown")
        if status == "Accepted":
            for number in known:
                charger.limits.pop(number, None)
                charger.profiles.pop(number, None)
        return call_result.ClearChargingProfile(status=status)

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id: int, duration: int, **kwargs: Any) -> Any:
        status = self._status(Action.get_composite_schedule)
        if status != "Accepted":
            return call_result.GetCompositeSchedule(status=status)
        limit, unit = self.charger.limits.get(connector_id) or self.charger.limits.get(
            0, (32.0, "A")
        )
        return call_result.GetCompositeSchedule(
            status=status,
            connector_id=connector_id,
            schedule_start=utc_timestamp(),
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": kwargs.get("charging_rate_unit") or unit,
                "charging_schedule_period": [{"start_period": 0, "limit": limit}],
            },
        )


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


def _download(url: str, timeout: float) -> bytes:
    """GET a file (runs in a thread: urllib blocks)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _upload(url: str, file_name: str, content: bytes, timeout: float) -> bytes:
    """POST a file as multipart/form-data, as chargers upload diagnostics (in a thread);
    returns the server's answer."""
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()
