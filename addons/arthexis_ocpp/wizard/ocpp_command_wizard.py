from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.ocpp_charging_profile import PURPOSES
from ..models.ocpp_command import ACTIONS, TRIGGERABLE


class OcppCommandWizard(models.TransientModel):
    """The form staff fill to send one command to a charger."""

    _name = "ocpp.command.wizard"
    _description = "Send a Command to a Charger"

    charger_id = fields.Many2one("ocpp.charger", required=True, ondelete="cascade")
    action = fields.Selection(ACTIONS, required=True)
    connector_id = fields.Many2one(
        "ocpp.connector",
        domain="[('charger_id', '=', charger_id)]",
        help="Empty: the whole charger (connector 0) where the command allows it.",
    )
    reset_type = fields.Selection([("Soft", "Soft"), ("Hard", "Hard")], default="Soft")
    availability = fields.Selection(
        [("Operative", "Operative"), ("Inoperative", "Inoperative")], default="Inoperative"
    )
    requested_message = fields.Selection(TRIGGERABLE, default="StatusNotification")
    vendor_id = fields.Char("Vendor ID")
    message_id = fields.Char("Message ID")
    data = fields.Text()
    partner_id = fields.Many2one("res.partner", "Customer")
    rfid_id = fields.Many2one(
        "arthexis.rfid",
        "Card",
        domain="[('company_id', '=', company_id), ('partner_id', '=?', partner_id)]",
    )
    company_id = fields.Many2one(related="charger_id.company_id")
    profile_id = fields.Many2one("ocpp.charging.profile", "Charging profile")
    firmware_id = fields.Many2one("ocpp.firmware")
    retrieve_date = fields.Datetime(default=fields.Datetime.now)
    retries = fields.Integer(default=3)
    retry_interval = fields.Integer("Retry interval (s)", default=60)
    start_time = fields.Datetime("From")
    stop_time = fields.Datetime("Until")
    config_keys = fields.Char(
        "Keys", help="Comma-separated key names; empty: every key the charger has."
    )
    full_list = fields.Boolean("Full list", help="Off: only the cards changed since its version.")
    clear_purpose = fields.Selection(PURPOSES, "Purpose")
    clear_stack_level = fields.Integer("Stack level", default=-1, help="-1: any.")
    duration = fields.Integer("Duration (s)", default=3600)
    rate_unit = fields.Selection([("A", "A"), ("W", "W")], "Unit")

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id and self.rfid_id.partner_id != self.partner_id:
            cards = self.env["arthexis.rfid"].search(
                [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)]
            )
            allowed = cards.filtered(lambda c: c._authorization()["status"] == "Accepted")
            self.rfid_id = allowed[:1]

    def action_send(self):
        self.ensure_one()
        if self.action == "SendLocalList":
            command = self.charger_id._send_local_list(full=self.full_list)
            if not command:
                raise UserError(self.env._("The charger's local list is already current."))
            return self._queued(command)
        payload, extra = getattr(self, f"_payload_{self.action}")()
        command = self.env["ocpp.command"].create(
            {
                "charger_id": self.charger_id.id,
                "connector_id": self.connector_id.id,
                "action": self.action,
                "payload": payload,
                **extra,
            }
        )
        return self._queued(command)

    def _queued(self, command):
        online = self.charger_id.is_online
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "%s is queued; the charger's answer will show here.", command.name
                )
                if online
                else self.env._(
                    "%s is queued: the charger is offline, it will get it when it reconnects.",
                    command.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _number(self, default=0):
        return self.connector_id.connector_number if self.connector_id else default

    def _need_connector(self):
        if not self.connector_id or not self.connector_id.connector_number:
            raise ValidationError(self.env._("Choose a connector (1 or more) of the charger."))
        return self.connector_id.connector_number

    def _payload_RemoteStartTransaction(self):
        if not self.rfid_id:
            raise ValidationError(
                self.env._("Choose the card (or a customer with a card) to charge with.")
            )
        status = self.rfid_id._authorization()["status"]
        if status != "Accepted":
            raise ValidationError(
                self.env._(
                    "The card %(card)s may not charge now (%(status)s).",
                    card=self.rfid_id.display_name,
                    status=status,
                )
            )
        payload = {"idTag": self.rfid_id.uid}
        if self.connector_id.connector_number:
            payload["connectorId"] = self.connector_id.connector_number
        if self.profile_id:
            payload["chargingProfile"] = self.profile_id._ocpp_payload()
        return payload, {"profile_id": self.profile_id.id}

    def _payload_Reset(self):
        return {"type": self.reset_type}, {}

    def _payload_UnlockConnector(self):
        return {"connectorId": self._need_connector()}, {}

    def _payload_ChangeAvailability(self):
        return {"connectorId": self._number(), "type": self.availability}, {}

    def _payload_ClearCache(self):
        return {}, {}

    def _payload_TriggerMessage(self):
        payload = {"requestedMessage": self.requested_message}
        if self.connector_id:
            payload["connectorId"] = self.connector_id.connector_number
        return payload, {}

    def _payload_DataTransfer(self):
        payload = {"vendorId": self.vendor_id}
        if self.message_id:
            payload["messageId"] = self.message_id
        if self.data:
            payload["data"] = self.data
        return payload, {}

    def _payload_GetConfiguration(self):
        keys = [k.strip() for k in (self.config_keys or "").split(",") if k.strip()]
        return ({"key": keys} if keys else {}), {}

    def _payload_GetLocalListVersion(self):
        return {}, {}

    def _payload_UpdateFirmware(self):
        if not self.firmware_id:
            raise ValidationError(self.env._("Choose the firmware to install."))
        payload = {"retrieveDate": self.retrieve_date.isoformat() + "Z"}
        payload.update(self._retries())
        return payload, {"firmware_id": self.firmware_id.id}

    def _payload_GetDiagnostics(self):
        payload = self._retries()
        if self.start_time:
            payload["startTime"] = self.start_time.isoformat() + "Z"
        if self.stop_time:
            payload["stopTime"] = self.stop_time.isoformat() + "Z"
        return payload, {}

    def _retries(self):
        if self.retries < 0 or self.retry_interval < 0:
            raise ValidationError(self.env._("Retries and retry interval cannot be negative."))
        return {"retries": self.retries, "retryInterval": self.retry_interval}

    def _payload_SetChargingProfile(self):
        if not self.profile_id:
            raise ValidationError(self.env._("Choose the charging profile to set."))
        connector = self._number()
        transaction = None
        if self.profile_id.purpose == "TxProfile":
            connector = self._need_connector()
            session = self.env["ocpp.transaction"].search(
                [("connector_id", "=", self.connector_id.id), ("state", "=", "active")], limit=1
            )
            if not session:
                raise ValidationError(
                    self.env._("A TxProfile limits a running session: none runs on that connector.")
                )
            if session.transaction_id.isdigit():
                transaction = int(session.transaction_id)
        profile = self.profile_id._ocpp_payload(transaction_id=transaction)
        return {"connectorId": connector, "csChargingProfiles": profile}, {
            "profile_id": self.profile_id.id
        }

    def _payload_ClearChargingProfile(self):
        payload = {}
        if self.profile_id:
            payload["id"] = self.profile_id.id
        if self.connector_id:
            payload["connectorId"] = self.connector_id.connector_number
        if self.clear_purpose:
            payload["chargingProfilePurpose"] = self.clear_purpose
        if self.clear_stack_level >= 0:
            payload["stackLevel"] = self.clear_stack_level
        return payload, {"profile_id": self.profile_id.id}

    def _payload_GetCompositeSchedule(self):
        payload = {"connectorId": self._number(), "duration": self.duration}
        if self.rate_unit:
            payload["chargingRateUnit"] = self.rate_unit
        return payload, {}

    def _unsupported(self):
        raise UserError(
            self.env._(
                "%(action)s is sent from its own place: use the button on the session, "
                "reservation or configuration list.",
                action=self.action,
            )
        )

    def _payload_RemoteStopTransaction(self):
        self._unsupported()

    def _payload_ChangeConfiguration(self):
        self._unsupported()

    def _payload_ReserveNow(self):
        self._unsupported()

    def _payload_CancelReservation(self):
        self._unsupported()
