"""OCPP 1.6J: the charge point as the central system sees it.

Each handler turns the frame into a protocol-neutral event, commits it to the
outbox, and only then answers, so nothing acknowledged is ever lost. Handlers
touch only local state: the ``ocpp`` package awaits them one at a time per
connection, and a charger must not wait on Odoo. Schema validation and the
CALLERRORs it calls for come from the ``ocpp`` package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as BaseChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, RegistrationStatus

from .. import events
from ..outbox import OutboxError

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from ..outbox import Outbox
    from ..settings import Settings


class ChargePoint(BaseChargePoint):
    """One connected OCPP 1.6 charger."""

    protocol = "ocpp1.6"

    def __init__(
        self,
        charge_point_id: str,
        connection: ServerConnection,
        *,
        outbox: Outbox,
        settings: Settings,
    ) -> None:
        super().__init__(charge_point_id, connection)
        self._outbox = outbox
        self._settings = settings

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

    @on(Action.boot_notification)
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
        await self.record(events.BOOT, data, call_unique_id)
        return call_result.BootNotification(
            current_time=events.utc_timestamp(),
            interval=self._settings.heartbeat_interval,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, call_unique_id: str) -> call_result.Heartbeat:
        await self.record(events.HEARTBEAT, {}, call_unique_id)
        return call_result.Heartbeat(current_time=events.utc_timestamp())

    @on(Action.status_notification)
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
            "timestamp": timestamp,
        }
        await self.record(events.STATUS, data, call_unique_id)
        return call_result.StatusNotification()
