"""OCPP 1.6J: the charge point as the central system sees it.

Every frame goes through the frame layer first (:meth:`ChargePoint.route_message`
and ``frames.py``): what is not a valid CALL of an action the bridge takes gets
the CALLERROR 1.6 names, and the connection goes on. Each handler then turns
the CALL into a protocol-neutral event, commits it to the outbox, and only then
answers, so nothing acknowledged is ever lost. Handlers touch only local state
(the outbox and ``state.py``): the ``ocpp`` package awaits them one at a time
per connection, and a charger must not wait on Odoo. The one exception is an
id tag the cache does not know or accepts, on a bridge with Odoo: Authorize and
StartTransaction ask Odoo about it (with ConcurrentTx for a card charging on
another node) for at most ``authorize_timeout`` seconds (``auth_sync.py``),
then the cache or the ``unknown_tags`` policy decides.

BootNotification is answered with the charger's registration from the
charger registry (``chargers.py``), or, for an id the registry does not list,
with what the ``unknown_chargers`` policy says. A charger whose registration
is not Accepted gets a CALLERROR for any other CALL (see
:meth:`ChargePoint.route_message`), but for a message the bridge asked it for
with TriggerMessage.

The same registration decides which commands (``commands.py``) a charger may
be sent (:meth:`ChargePoint.takes_command`), and only once it is ready for
them: its BootNotification answered, or, for a charger that comes back
without booting (a network drop does not reboot it), its first other CALL, or
``BOOT_GRACE`` seconds after it connected. Accepted: every command. Pending:
those of ``PENDING_COMMANDS``. Rejected: none (OCPP 1.6, 4.2: the central
system SHOULD NOT initiate any message).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from typing import TYPE_CHECKING, Any

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import GenericError, InternalError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v16 import ChargePoint as BaseChargePoint
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, DataTransferStatus, RegistrationStatus

from .. import auth, auth_sync, chargers, events, transactions
from ..auth import Decision
from ..metrics import UNKNOWN, Metrics
from ..outbox import OutboxError
from ..state import StateError
from . import frames

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from ..auth_sync import OnlineAuthorizer
    from ..outbox import Outbox
    from ..settings import Settings
    from ..state import State

logger = logging.getLogger(__name__)

ACCEPTED = chargers.ACCEPTED
PENDING = chargers.PENDING

#: Seconds a charger that connected without a BootNotification waits for commands:
#: a booting charger sends it at once, one coming back from a network drop never.
BOOT_GRACE = 5.0

#: What a Pending charger may be sent. OCPP 1.6, 4.2: while Pending, the central
#: system MAY send requests to retrieve information from the charge point or change
#: its configuration (and TriggerMessage, the one way to have it send a request).
#: Reset applies a change that needs a reboot; UpdateFirmware brings a charger to
#: the firmware it must run before being accepted.
PENDING_COMMANDS = frozenset(
    {
        "ChangeConfiguration",
        "ClearCache",
        "DataTransfer",
        "GetConfiguration",
        "GetDiagnostics",
        "GetLocalListVersion",
        "Reset",
        "SendLocalList",
        "TriggerMessage",
        "UpdateFirmware",
    }
)

#: What a free-vend charger (require_rfid off) is answered, whatever its tag.
FREE_VEND = Decision(auth.ACCEPTED, auth.FREE_VEND)

# The event kind of a SecurityEventNotification (OCPP 1.6 security whitepaper).
SECURITY_EVENT = "security_event"

# The spec's defaults for a sampledValue's optional fields (docs/events.md, samples);
# the unit defaults to Wh only for energy measurands.
SAMPLE_DEFAULTS = {
    "measurand": "Energy.Active.Import.Register",
    "context": "Sample.Periodic",
    "location": "Outlet",
    "format": "Raw",
}


def handles(action: Action) -> Any:
    """Route ``action`` to the method; route_message has checked its payload already."""
    return on(action, skip_schema_validation=True)


class ChargePoint(BaseChargePoint):
    """One connected OCPP 1.6 charger."""

    protocol = "ocpp1.6"

    def __init__(
        self,
        charge_point_id: str,
        connection: ServerConnection,
        *,
        outbox: Outbox,
        state: State,
        settings: Settings,
        metrics: Metrics | None = None,
        authorizer: OnlineAuthorizer | None = None,
    ) -> None:
        super().__init__(charge_point_id, connection)
        self._authorizer = authorizer  # None: no Odoo to ask, the policy decides
        self._outbox = outbox
        self._state = state
        self._settings = settings
        self._metrics = metrics if metrics is not None else Metrics()
        # The action of the CALL being answered: the ``ocpp`` package answers
        # one CALL at a time per connection, so what _send sends answers it.
        self._answering = UNKNOWN
        # (message id, action) of our last CALL (commands.send_call): its answer's label.
        self._calling: tuple[str, str] | None = None
        self._policy = auth.Policy(
            accept_unknown=settings.unknown_tags == "accept",
            case_insensitive=settings.id_tag_case_insensitive,
        )
        #: What the charger's BootNotification was (or, before one, would be) answered.
        self.registration: str | None = None
        #: Whether the charger may be sent commands (as its registration allows).
        self.ready = False
        #: Called with the charge point id when the charger becomes ready for commands,
        #: and again at each BootNotification answered after that.
        self.on_ready: Any = None
        #: Called with the charge point id once a transaction start or stop is recorded
        #: (power.py shares the site limit again).
        self.on_transaction: Any = None
        # Actions a charger not Accepted was asked for with TriggerMessage: let in once.
        self._triggered: set[str] = set()
        self._grace: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Serve the charger's frames until the connection closes."""
        self.registration = await self._state.run(
            chargers.registration_of, self.id, self._settings.unknown_chargers
        )
        self._grace = asyncio.get_running_loop().call_later(BOOT_GRACE, self._become_ready)
        try:
            await super().start()
        finally:
            self._grace.cancel()

    def takes_command(self, action: str | None = None) -> bool:
        """Whether the charger may be sent a command of ``action`` now; without an
        action, whether it may be sent every command."""
        if not self.ready:
            return False
        if self.registration == ACCEPTED:
            return True
        return self.registration == PENDING and action in PENDING_COMMANDS

    def _become_ready(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
        self.ready = True
        if self.on_ready is not None:
            self.on_ready(self.id)

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Check the frame and its payload, then route a CALL to its handler.

        A problem the frame layer finds is answered with its CALLERROR when the
        frame's message id can be read, and logged either way. Answers to our
        own calls go to the call waiting for them; others are dropped, so a
        charger cannot fill the queue with answers nobody waits for.
        """
        message = None
        try:
            message = frames.parse(raw_msg)
            if isinstance(message, Call):
                frames.check_call(message, self.route_map)
        except frames.FrameError as refused:
            self._received(message)
            await self._refuse(refused, raw_msg)
            return
        self._received(message)
        if isinstance(message, Call):
            booting = message.action == Action.boot_notification
            if not booting and self.registration != ACCEPTED:
                if message.action not in self._triggered:
                    await self._refuse_unregistered(message)
                    return
                self._triggered.discard(message.action)
            await self._handle_call(message)
            # Booted, or it goes on as a charger already registered: commands may go.
            if booting or not self.ready:
                self._become_ready()
        elif self._call_lock.locked():  # the base class holds it while a call of ours waits
            self._response_queue.put_nowait(message)
        else:
            logger.warning(
                "charger %s: ignored an answer to no call of ours (message %s)",
                self.id,
                message.unique_id,
            )

    async def _handle_call(self, msg: Call) -> None:
        """Answer a CALL route_message has checked, as the base class would, for less.

        The base class converts every key of every payload with regular
        expressions and reads the handler's signature for each CALL; here both
        are done once per key and per handler (the keys a schema allows are
        few). A handler that asks the ``ocpp`` package to validate, or that has
        an after-hook, goes the base class's way.
        """
        handlers = self.route_map[msg.action]
        if not handlers.get("_skip_schema_validation", False) or "_after_action" in handlers:
            await super()._handle_call(msg)
            return
        handler = handlers["_on_action"]
        kwargs = _snake_keys(msg.payload)
        if _takes_call_unique_id(getattr(handler, "__func__", handler)):
            kwargs["call_unique_id"] = msg.unique_id
        try:
            response = handler(**kwargs)
            if inspect.isawaitable(response):
                response = await response
        except Exception as e:
            self.logger.exception("Error while handling request '%s'", msg)
            await self._send(msg.create_call_error(e).to_json())
            return
        payload = _camel_keys(remove_nones(serialize_as_dict(response)))
        await self._send(msg.create_call_result(payload).to_json())

    def _received(self, message: object) -> None:
        """Count the frame by action: a CALL's own, an answer's that of our CALL it
        answers. Only the actions of 1.6 are labels (a charger must not be able to
        make up new metric series)."""
        action = UNKNOWN
        if isinstance(message, Call):
            if message.action in frames.ACTIONS:
                action = message.action
        elif self._calling is not None and getattr(message, "unique_id", None) == self._calling[0]:
            action = self._calling[1]
        self._answering = action
        self._metrics.received(action)

    async def _send(self, message: str) -> None:
        action = self._answering
        if message.startswith("[2"):  # a CALL of ours: rare, so reading it is cheap enough
            unique_id, action, payload = json.loads(message)[1:4]
            if action not in frames.ACTIONS:
                action = UNKNOWN
            elif action == Action.trigger_message and self.registration != ACCEPTED:
                self._triggered.add(payload.get("requestedMessage"))
            # Before sending: the answer may be read before this coroutine resumes.
            self._calling = (unique_id, action)
        await super()._send(message)
        self._metrics.sent(action, message)

    async def _refuse(self, refused: frames.FrameError, raw_msg: str | bytes) -> None:
        if refused.unique_id is None:
            # Our choice: no answer. 1.6 defines none for a frame whose message id
            # cannot be read, and a CALLERROR must echo that id (see frames.py).
            logger.warning(
                "charger %s: %s; no message id to answer, frame %.200r",
                self.id,
                refused,
                raw_msg,
                extra={"event": "frame_dropped", "charger": self.id, "code": refused.error.code},
            )
            return
        code = refused.error.code
        logger.warning(
            "charger %s, message %s: %s: %s",
            self.id,
            refused.unique_id,
            code,
            refused,
            extra={
                "event": "call_error",
                "charger": self.id,
                "message_id": refused.unique_id,
                "action": _action_of(raw_msg),
                "code": code,
            },
        )
        await self._send(refused.call_error().to_json())

    async def _refuse_unregistered(self, message: Call) -> None:
        """Answer a CALL of a charger that is not Accepted with a CALLERROR.

        OCPP 1.6, 4.2 (BootNotification), as read here: until a BootNotification
        is answered Accepted or Pending, a charge point SHALL NOT send other
        requests; while Rejected it SHALL NOT send any message until the interval
        has passed; while Pending it SHALL NOT send requests unless the central
        system asks for them with TriggerMessage (the message asked for is let in,
        once). So a Pending or Rejected charger's other CALL than BootNotification
        is refused and not recorded: nothing is acknowledged, and a charger that
        queued the message sends it again once Accepted. The 1.6 text names no
        error code for this; GenericError carries the reason. (OCPP-J 1.6's error
        table, as read here, does list SecurityError, "a security issue
        occurred", but a registration not yet accepted is not a security issue.)
        """
        logger.info(
            "charger %s, message %s: refused %s, registration %s",
            self.id,
            message.unique_id,
            message.action,
            self.registration,
            extra={
                "event": "call_error",
                "charger": self.id,
                "message_id": message.unique_id,
                "action": message.action,
                "code": "GenericError",
                "registration": self.registration,
            },
        )
        error = GenericError(
            description=f"charge point {self.id} is not accepted (registration "
            f"{self.registration}): send BootNotification until it is Accepted",
            details={},
        )
        await self._send(message.create_call_error(error).to_json())

    async def record(self, kind: str, data: dict[str, Any], message_id: str) -> None:
        """Commit the event for this frame; a failure becomes an InternalError CALLERROR."""
        try:
            await self._outbox.append(events.make_event(self.id, kind, self.protocol, data))
        except OutboxError as error:
            raise InternalError(
                description=f"charger {self.id}, message {message_id}: "
                f"the {kind} event could not be stored; send it again",
                details={"cause": str(error)},
            ) from error

    async def use_state(self, message_id: str, function: Any, *args: Any) -> Any:
        """Run a function of auth.py or transactions.py; a failure becomes an InternalError."""
        try:
            return await self._state.run(function, *args)
        except StateError as error:
            raise InternalError(
                description=f"charger {self.id}, message {message_id}: "
                "the bridge cannot read or write its state; send it again",
                details={"cause": str(error)},
            ) from error

    async def ask_odoo(self, message_id: str, id_tag: str, known: Decision) -> Decision | None:
        """Odoo's decision on a tag, with ConcurrentTx for a card charging on any
        node, kept in the cache; None if there is nothing to ask (no Odoo, or a tag
        ``known`` to be refused here), or Odoo does not answer in time: then the
        bridge's own decision (``known``) stands."""
        if self._authorizer is None or not (known.source == auth.POLICY or known.accepted):
            return None
        answer = await self._authorizer.ask(self.id, id_tag, known=known.source != auth.POLICY)
        if answer is None:
            return None
        return await self.use_state(
            message_id, auth_sync.store_answer, answer, self._policy, self._outbox.oldest_at
        )

    @handles(Action.boot_notification)
    async def on_boot_notification(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        call_unique_id: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        iccid: str | None = None,
        imsi: str | None = None,
        meter_type: str | None = None,
        meter_serial_number: str | None = None,
    ) -> call_result.BootNotification:
        data = {
            "vendor": charge_point_vendor,
            "model": charge_point_model,
            "serial_number": charge_point_serial_number,
            "charge_box_serial_number": charge_box_serial_number,
            "firmware_version": firmware_version,
            "iccid": iccid,
            "imsi": imsi,
            "meter_type": meter_type,
            "meter_serial_number": meter_serial_number,
        }
        registration = await self.use_state(
            call_unique_id, chargers.registration_of, self.id, self._settings.unknown_chargers
        )
        data["registration"] = registration
        await self.record(events.BOOT, data, call_unique_id)
        self.registration = registration
        # Pending or Rejected: the interval is the least wait before the next
        # BootNotification (1.6, 4.2); the heartbeat interval serves for both.
        return call_result.BootNotification(
            current_time=events.utc_timestamp(),
            interval=self._settings.heartbeat_interval,
            status=RegistrationStatus(registration),
        )

    @handles(Action.heartbeat)
    async def on_heartbeat(self, call_unique_id: str) -> call_result.Heartbeat:
        await self.record(events.HEARTBEAT, {}, call_unique_id)
        return call_result.Heartbeat(current_time=events.utc_timestamp())

    @handles(Action.status_notification)
    async def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        call_unique_id: str,
        timestamp: str | None = None,
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
    ) -> call_result.StatusNotification:
        data = {
            "connector_id": connector_id,
            "status": status,
            "error_code": error_code,
            "info": info,
            "vendor_id": vendor_id,
            "vendor_error_code": vendor_error_code,
            "timestamp": _time(timestamp),
        }
        await self.record(events.STATUS, data, call_unique_id)
        return call_result.StatusNotification()

    @handles(Action.authorize)
    async def on_authorize(self, id_tag: str, call_unique_id: str) -> call_result.Authorize:
        free = await self.use_state(call_unique_id, chargers.free_vend, self.id)
        answered = FREE_VEND if free else None
        decision = await self.use_state(
            call_unique_id, transactions.authorize, id_tag, self._policy, answered
        )
        if not free:
            decision = await self.ask_odoo(call_unique_id, id_tag, decision) or decision
        data = {"id_tag": id_tag, "decision": decision.as_data(), "anomaly": decision.anomaly()}
        await self.record(events.AUTHORIZE, data, call_unique_id)
        return call_result.Authorize(id_tag_info=_id_tag_info(decision))

    @handles(Action.start_transaction)
    async def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        call_unique_id: str,
        reservation_id: int | None = None,
    ) -> call_result.StartTransaction:
        timestamp = _time(timestamp)
        # A free-vend charger (require_rfid off) charges whatever tag it sends.
        free = await self.use_state(call_unique_id, chargers.free_vend, self.id)
        answered = FREE_VEND if free else None
        if not free and self._authorizer is not None:
            known = await self.use_state(call_unique_id, auth.decide, id_tag, self._policy)
            answered = await self.ask_odoo(call_unique_id, id_tag, known)
        started = await self.use_state(
            call_unique_id,
            transactions.start,
            self.id,
            connector_id,
            id_tag,
            meter_start,
            timestamp,
            self._policy,
            answered,
        )
        if started.superseded:
            logger.warning(
                "charger %s: transaction %s was still active on connector %d; "
                "transaction %d replaces it",
                self.id,
                ", ".join(map(str, started.superseded)),
                connector_id,
                started.transaction_id,
                extra={
                    "event": "transaction_superseded",
                    "charger": self.id,
                    "transaction_id": started.transaction_id,
                },
            )
        data = {
            "transaction_id": str(started.transaction_id),
            "connector_id": connector_id,
            "id_tag": id_tag,
            "meter_start": meter_start,
            "timestamp": timestamp,
            "reservation_id": reservation_id,
            "decision": started.decision.as_data(),
            "anomaly": started.decision.anomaly(),
        }
        await self.record(events.TRANSACTION_STARTED, data, call_unique_id)
        if self.on_transaction is not None:
            self.on_transaction(self.id)
        return call_result.StartTransaction(
            transaction_id=started.transaction_id, id_tag_info=_id_tag_info(started.decision)
        )

    @handles(Action.meter_values)
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        call_unique_id: str,
        transaction_id: int | None = None,
    ) -> call_result.MeterValues:
        data = {
            "connector_id": connector_id,
            "transaction_id": None if transaction_id is None else str(transaction_id),
            "samples": _samples(meter_value),
        }
        await self.record(events.METER_VALUES, data, call_unique_id)
        return call_result.MeterValues()

    @handles(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        call_unique_id: str,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        stopped = await self.use_state(
            call_unique_id, transactions.stop, self.id, transaction_id, id_tag, self._policy
        )
        data = {
            "transaction_id": str(transaction_id),
            "meter_stop": meter_stop,
            "timestamp": _time(timestamp),
            "reason": reason or "Local",
            "id_tag": id_tag,
            "samples": None if transaction_data is None else _samples(transaction_data),
        }
        if stopped.unknown:
            logger.warning(
                "charger %s stops an unknown transaction: %s",
                self.id,
                stopped.unknown,
                extra={
                    "event": "unknown_transaction",
                    "charger": self.id,
                    "transaction_id": transaction_id,
                },
            )
            data["anomaly"] = events.anomaly(events.UNKNOWN_TRANSACTION, stopped.unknown)
        await self.record(events.TRANSACTION_STOPPED, data, call_unique_id)
        if self.on_transaction is not None:
            self.on_transaction(self.id)
        if stopped.decision is None:
            return call_result.StopTransaction()
        if stopped.unknown:
            # Nothing to refuse: the charger has stopped already, and the contract
            # (docs/events.md) has the stop answered Accepted and reviewed in Odoo.
            return call_result.StopTransaction(IdTagInfo(AuthorizationStatus.accepted))
        return call_result.StopTransaction(_id_tag_info(stopped.decision))

    @handles(Action.data_transfer)
    async def on_data_transfer(
        self,
        vendor_id: str,
        call_unique_id: str,
        message_id: str | None = None,
        data: str | None = None,
    ) -> call_result.DataTransfer:
        # The bridge takes no vendor extension yet: every vendor id is unknown to it.
        status = DataTransferStatus.unknown_vendor_id
        event = {"vendor_id": vendor_id, "message_id": message_id, "data": data, "status": status}
        await self.record(events.DATA_TRANSFER, event, call_unique_id)
        return call_result.DataTransfer(status=status)

    @handles(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(
        self, status: str, call_unique_id: str
    ) -> call_result.DiagnosticsStatusNotification:
        await self.record(events.DIAGNOSTICS_STATUS, {"status": status}, call_unique_id)
        return call_result.DiagnosticsStatusNotification()

    @handles(Action.firmware_status_notification)
    async def on_firmware_status_notification(
        self, status: str, call_unique_id: str
    ) -> call_result.FirmwareStatusNotification:
        await self.record(events.FIRMWARE_STATUS, {"status": status}, call_unique_id)
        return call_result.FirmwareStatusNotification()

    @handles(Action.security_event_notification)
    async def on_security_event_notification(
        self, type: str, timestamp: str, call_unique_id: str, tech_info: str | None = None
    ) -> call_result.SecurityEventNotification:
        # The security whitepaper's one message a charger sends without being asked:
        # what happened (``type``), when by its clock, and free details.
        data = {"type": type, "timestamp": _time(timestamp), "tech_info": tech_info}
        await self.record(SECURITY_EVENT, data, call_unique_id)
        return call_result.SecurityEventNotification()


_MAX_KEYS = 4096  # converted keys remembered, per direction


def _remembered(convert: Any) -> Any:
    """One key converted as ``convert`` (the ``ocpp`` package's) would, remembered."""
    known: dict[str, str] = {}

    def key(name: str) -> str:
        found = known.get(name)
        if found is None:
            (found,) = convert({name: None})
            if len(known) < _MAX_KEYS:
                known[name] = found
        return found

    return key


_snake_key = _remembered(camel_to_snake_case)
_camel_key = _remembered(snake_to_camel_case)


def _snake_keys(data: Any) -> Any:
    """``camel_to_snake_case`` for the JSON a frame holds."""
    if type(data) is dict:
        return {_snake_key(key): _snake_keys(value) for key, value in data.items()}
    if type(data) is list:
        return [_snake_keys(value) for value in data]
    return data


def _camel_keys(data: Any) -> Any:
    """``snake_to_camel_case`` for an answer's payload."""
    if isinstance(data, dict):
        return {_camel_key(key): _camel_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_camel_keys(value) for value in data]
    return data


@functools.cache
def _takes_call_unique_id(function: Any) -> bool:
    return "call_unique_id" in inspect.signature(function).parameters


def _time(timestamp: str | None) -> str | None:
    """A time of the charger's, normalized (the frame layer has checked it parses)."""
    return None if timestamp is None else events.normalize_time(timestamp)


def _id_tag_info(decision: Decision) -> IdTagInfo:
    return IdTagInfo(
        status=AuthorizationStatus(decision.status),
        parent_id_tag=decision.parent_id_tag,
        expiry_date=decision.expiry_date,
    )


def _samples(meter_values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One sample per sampledValue, with the spec's defaults filled in (docs/events.md)."""
    samples = []
    for meter_value in meter_values:
        for sampled_value in meter_value["sampled_value"]:
            sample = {
                "timestamp": events.normalize_time(meter_value["timestamp"]),
                **SAMPLE_DEFAULTS,
                **sampled_value,
            }
            if "unit" not in sample and sample["measurand"].startswith("Energy."):
                sample["unit"] = "Wh"
            samples.append(sample)
    return samples


def _action_of(raw: str | bytes) -> str | None:
    """The action a refused frame names, if it can be read (for the log only)."""
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(frame, list) and len(frame) > 2 and isinstance(frame[2], str):
        return frame[2][:64]
    return None
