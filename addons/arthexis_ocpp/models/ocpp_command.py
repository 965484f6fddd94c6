import base64
import json
import logging
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import parse_time

_logger = logging.getLogger(__name__)

# Every OCPP 1.6 central-system-to-charge-point action.
ACTIONS = [
    ("RemoteStartTransaction", "Remote start"),
    ("RemoteStopTransaction", "Remote stop"),
    ("Reset", "Reset"),
    ("UnlockConnector", "Unlock connector"),
    ("ChangeAvailability", "Change availability"),
    ("ClearCache", "Clear cache"),
    ("TriggerMessage", "Trigger message"),
    ("DataTransfer", "Data transfer"),
    ("GetConfiguration", "Get configuration"),
    ("ChangeConfiguration", "Change configuration"),
    ("SendLocalList", "Send local list"),
    ("GetLocalListVersion", "Get local list version"),
    ("ReserveNow", "Reserve now"),
    ("CancelReservation", "Cancel reservation"),
    ("UpdateFirmware", "Update firmware"),
    ("GetDiagnostics", "Get diagnostics"),
    ("SetChargingProfile", "Set charging profile"),
    ("ClearChargingProfile", "Clear charging profile"),
    ("GetCompositeSchedule", "Get composite schedule"),
]

# Actions that can interrupt charging or change how a charger behaves: managers only.
DISRUPTIVE = {
    "Reset",
    "ChangeAvailability",
    "UpdateFirmware",
    "ChangeConfiguration",
    "SendLocalList",
    "SetChargingProfile",
}

STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("failed", "Failed"),
    ("timed_out", "Timed out"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
FINAL_STATES = ("accepted", "rejected", "failed", "timed_out", "expired", "cancelled")
BRIDGE_RESULTS = ("accepted", "rejected", "failed", "timed_out")

# The status words of a CALLRESULT that mean the charger will do (or did) it.
POSITIVE_STATUSES = {"Accepted", "Scheduled", "Unlocked", "RebootRequired"}

TRIGGERABLE = [
    ("BootNotification", "Boot notification"),
    ("DiagnosticsStatusNotification", "Diagnostics status"),
    ("FirmwareStatusNotification", "Firmware status"),
    ("Heartbeat", "Heartbeat"),
    ("MeterValues", "Meter values"),
    ("StatusNotification", "Status notification"),
]
PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")
UPDATE_TYPES = ("Full", "Differential")
AUTH_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")
# Actions whose payload carries a one-time file transfer URL.
TRANSFER_ROUTES = {"UpdateFirmware": "firmware", "GetDiagnostics": "diagnostics"}


class OcppCommand(models.Model):
    """A call from the central system to a charger, its state and the charger's answer.

    Staff actions create queued commands; the bridge serving the charger pulls
    them (docs/commands.md), sends the CALL and reports the answer, which a
    per-action hook (``_on_<Action>``) applies to Odoo's records.
    """

    _name = "ocpp.command"
    _description = "Charger Command"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    charger_id = fields.Many2one(
        "ocpp.charger", required=True, index=True, ondelete="cascade", readonly=True
    )
    connector_id = fields.Many2one("ocpp.connector", readonly=True, ondelete="set null")
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    node_id = fields.Many2one(related="charger_id.node_id", store=True, index=True, string="Node")
    action = fields.Selection(ACTIONS, required=True, readonly=True, index=True)
    payload = fields.Json(
        "Call data", readonly=True, help="The CALL's payload, exactly as sent to the charger."
    )
    payload_text = fields.Text("Payload", compute="_compute_texts")
    requested_by_id = fields.Many2one(
        "res.users", string="Requested by", readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(STATES, required=True, default="queued", readonly=True, index=True)
    response = fields.Json("Answer data", readonly=True, help="The charger's CALLRESULT payload.")
    response_text = fields.Text("Answer", compute="_compute_texts")
    response_status = fields.Char("Charger's status", readonly=True)
    error = fields.Char(readonly=True, help="Why the command failed, as the bridge reported it.")
    queued_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    sent_at = fields.Datetime(readonly=True)
    answered_at = fields.Datetime(readonly=True)
    expires_at = fields.Datetime(
        readonly=True,
        default=lambda self: self._default_expiry(),
        help="A command not sent by then (charger offline) expires.",
    )
    token = fields.Char(readonly=True, copy=False, index=True, groups="base.group_system")
    token_used_at = fields.Datetime("File transferred at", readonly=True, copy=False)
    transaction_id = fields.Many2one("ocpp.transaction", "Session", readonly=True)
    reservation_id = fields.Many2one("ocpp.reservation", readonly=True, ondelete="set null")
    firmware_id = fields.Many2one("ocpp.firmware", readonly=True, ondelete="set null")
    profile_id = fields.Many2one(
        "ocpp.charging.profile", "Charging profile", readonly=True, ondelete="set null"
    )
    attachment_id = fields.Many2one(
        "ir.attachment", "Uploaded file", readonly=True, ondelete="set null"
    )

    @api.model
    def _default_expiry(self):
        minutes = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("arthexis_ocpp.command_expiry_minutes", "60")
        )
        return fields.Datetime.now() + timedelta(minutes=int(minutes))

    @api.depends("action", "charger_id.display_name")
    def _compute_name(self):
        labels = dict(ACTIONS)
        for command in self:
            command.name = f"{labels.get(command.action, '')} · {command.charger_id.display_name}"

    @api.depends("payload", "response")
    def _compute_texts(self):
        for command in self:
            command.payload_text = json.dumps(command.payload or {}, indent=2, sort_keys=True)
            command.response_text = (
                json.dumps(command.response, indent=2, sort_keys=True)
                if command.response is not None
                else False
            )

    @api.model_create_multi
    def create(self, vals_list):
        manager = self.env.user.has_group("arthexis_nodes.group_charging_manager")
        for vals in vals_list:
            if vals.get("action") in DISRUPTIVE and not manager and not self.env.su:
                raise AccessError(
                    self.env._(
                        "Only charging administrators may send %(action)s to a charger.",
                        action=vals["action"],
                    )
                )
            if vals.get("action") in TRANSFER_ROUTES:
                self._add_transfer_url(vals)
        commands = super().create(vals_list)
        for command in commands:
            command._validate_payload()
        commands._notify_bridges()
        return commands

    def _add_transfer_url(self, vals):
        """Give a file transfer command its one-time token and URL in the payload."""
        vals["token"] = secrets.token_urlsafe(32)
        route = TRANSFER_ROUTES[vals["action"]]
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        vals["payload"] = {
            **(vals.get("payload") or {}),
            "location": f"{base}/ocpp/{route}/{vals['token']}",
        }

    # Handing commands to bridges.

    def _notify_bridges(self):
        """Wake the long polls of these commands' bridges, once this transaction commits.

        PostgreSQL delivers a NOTIFY only when (and if) its transaction commits, so a
        bridge woken by it always finds the command, and a rolled-back one wakes nobody.
        """
        for node_id in sorted({command.node_id.id for command in self if command.node_id}):
            self.env.cr.execute("SELECT pg_notify(%s, %s)", (COMMAND_CHANNEL, str(node_id)))

    # Payload validation: readable messages, before anything reaches a charger.

    def _validate_payload(self):
        self.ensure_one()
        payload = self.payload or {}  # Odoo stores an empty JSON object as null
        if not isinstance(payload, dict):
            raise ValidationError(
                self.env._("The payload of %(action)s must be a JSON object.", action=self.action)
            )
        getattr(self, f"_check_{self.action}")(payload)

    def _invalid(self, message, **params):
        prefix = self.env._("%(action)s not sent: ", action=dict(ACTIONS)[self.action])
        return ValidationError(prefix + self.env._(message, **params))  # pylint: disable=translation-not-lazy

    def _need_int(self, payload, key, minimum=0, required=True):
        value = payload.get(key)
        if value is None and not required:
            return
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self._invalid(
                "%(key)s must be a whole number of at least %(min)s, not %(value)r.",
                key=key,
                min=minimum,
                value=value,
            )

    def _need_choice(self, payload, key, choices, required=True):
        value = payload.get(key)
        if value is None and not required:
            return
        if value not in choices:
            raise self._invalid(
                "%(key)s must be one of %(choices)s, not %(value)r.",
                key=key,
                choices=", ".join(choices),
                value=value,
            )

    def _need_text(self, payload, key, max_length, required=True):
        value = payload.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not value or len(value) > max_length:
            raise self._invalid(
                "%(key)s must be a text of 1 to %(max)s characters, not %(value)r.",
                key=key,
                max=max_length,
                value=value,
            )

    def _need_time(self, payload, key, required=True):
        value = payload.get(key)
        if value is None and not required:
            return
        try:
            parse_time(value)
        except (ValueError, TypeError):
            raise self._invalid(
                "%(key)s must be a date and time in ISO 8601, like 2026-12-01T10:00:00Z, "
                "not %(value)r.",
                key=key,
                value=value,
            ) from None

    def _only_keys(self, payload, *keys):
        extra = sorted(set(payload) - set(keys))
        if extra:
            raise self._invalid(
                "unexpected field(s) %(extra)s; allowed: %(keys)s.",
                extra=", ".join(extra),
                keys=", ".join(keys) or "none",
            )

    def _check_id_tag(self, payload, key="idTag"):
        self._need_text(payload, key, 20)

    def _check_RemoteStartTransaction(self, payload):
        self._only_keys(payload, "idTag", "connectorId", "chargingProfile")
        self._check_id_tag(payload)
        self._need_int(payload, "connectorId", 1, required=False)
        if "chargingProfile" in payload:
            profile = payload["chargingProfile"]
            if (
                not isinstance(profile, dict)
                or profile.get("chargingProfilePurpose") != "TxProfile"
            ):
                raise self._invalid("a remote start may only carry a TxProfile charging profile.")
            self._check_profile(profile)

    def _check_RemoteStopTransaction(self, payload):
        self._only_keys(payload, "transactionId")
        self._need_int(payload, "transactionId")

    def _check_Reset(self, payload):
        self._only_keys(payload, "type")
        self._need_choice(payload, "type", ("Soft", "Hard"))

    def _check_UnlockConnector(self, payload):
        self._only_keys(payload, "connectorId")
        self._need_int(payload, "connectorId", 1)

    def _check_ChangeAvailability(self, payload):
        self._only_keys(payload, "connectorId", "type")
        self._need_int(payload, "connectorId", 0)
        self._need_choice(payload, "type", ("Operative", "Inoperative"))

    def _check_ClearCache(self, payload):
        self._only_keys(payload)

    def _check_TriggerMessage(self, payload):
        self._only_keys(payload, "requestedMessage", "connectorId")
        self._need_choice(payload, "requestedMessage", [t for t, _label in TRIGGERABLE])
        self._need_int(payload, "connectorId", 0, required=False)

    def _check_DataTransfer(self, payload):
        self._only_keys(payload, "vendorId", "messageId", "data")
        self._need_text(payload, "vendorId", 255)
        self._need_text(payload, "messageId", 50, required=False)
        if "data" in payload and not isinstance(payload["data"], str):
            raise self._invalid("data must be a text (OCPP 1.6 sends it as a string).")

    def _check_GetConfiguration(self, payload):
        self._only_keys(payload, "key")
        keys = payload.get("key", [])
        if not isinstance(keys, list) or not all(
            isinstance(k, str) and 0 < len(k) <= 50 for k in keys
        ):
            raise self._invalid(
                "key must be a list of configuration key names (50 characters max)."
            )

    def _check_ChangeConfiguration(self, payload):
        self._only_keys(payload, "key", "value")
        self._need_text(payload, "key", 50)
        if not isinstance(payload.get("value"), str) or len(payload["value"]) > 500:
            raise self._invalid("value must be a text of at most 500 characters.")

    def _check_SendLocalList(self, payload):
        self._only_keys(payload, "listVersion", "updateType", "localAuthorizationList")
        self._need_int(payload, "listVersion", 1)
        self._need_choice(payload, "updateType", UPDATE_TYPES)
        entries = payload.get("localAuthorizationList", [])
        if not isinstance(entries, list):
            raise self._invalid("localAuthorizationList must be a list of entries.")
        for entry in entries:
            if not isinstance(entry, dict):
                raise self._invalid("each local list entry must be an object with an idTag.")
            self._check_id_tag(entry)
            info = entry.get("idTagInfo")
            if info is None and payload["updateType"] == "Full":
                raise self._invalid(
                    "a full list entry needs its idTagInfo (%(tag)s has none).", tag=entry["idTag"]
                )
            if info is not None:
                self._need_choice(info, "status", AUTH_STATUSES)

    def _check_GetLocalListVersion(self, payload):
        self._only_keys(payload)

    def _check_ReserveNow(self, payload):
        self._only_keys(
            payload, "connectorId", "expiryDate", "idTag", "parentIdTag", "reservationId"
        )
        self._need_int(payload, "connectorId", 0)
        self._need_time(payload, "expiryDate")
        self._check_id_tag(payload)
        self._need_text(payload, "parentIdTag", 20, required=False)
        self._need_int(payload, "reservationId", 1)

    def _check_CancelReservation(self, payload):
        self._only_keys(payload, "reservationId")
        self._need_int(payload, "reservationId", 1)

    def _check_UpdateFirmware(self, payload):
        self._only_keys(payload, "location", "retrieveDate", "retries", "retryInterval")
        self._need_text(payload, "location", 2000)
        self._need_time(payload, "retrieveDate")
        self._need_int(payload, "retries", 0, required=False)
        self._need_int(payload, "retryInterval", 0, required=False)

    def _check_GetDiagnostics(self, payload):
        self._only_keys(payload, "location", "retries", "retryInterval", "startTime", "stopTime")
        self._need_text(payload, "location", 2000)
        self._need_int(payload, "retries", 0, required=False)
        self._need_int(payload, "retryInterval", 0, required=False)
        self._need_time(payload, "startTime", required=False)
        self._need_time(payload, "stopTime", required=False)
        if payload.get("startTime") and payload.get("stopTime"):
            if parse_time(payload["startTime"]) > parse_time(payload["stopTime"]):
                raise self._invalid("startTime must come before stopTime.")

    def _check_SetChargingProfile(self, payload):
        self._only_keys(payload, "connectorId", "csChargingProfiles")
        self._need_int(payload, "connectorId", 0)
        profile = payload.get("csChargingProfiles")
        if not isinstance(profile, dict):
            raise self._invalid("csChargingProfiles must be a charging profile object.")
        self._check_profile(profile)
        purpose = profile["chargingProfilePurpose"]
        if purpose == "ChargePointMaxProfile" and payload["connectorId"] != 0:
            raise self._invalid("a ChargePointMaxProfile applies to connector 0 only.")
        if purpose == "TxProfile" and payload["connectorId"] == 0:
            raise self._invalid("a TxProfile applies to a connector with a session, not to 0.")

    def _check_profile(self, profile):
        self._need_int(profile, "chargingProfileId", 1)
        self._need_int(profile, "stackLevel", 0)
        self._need_choice(profile, "chargingProfilePurpose", PURPOSES)
        self._need_choice(profile, "chargingProfileKind", ("Absolute", "Recurring", "Relative"))
        self._need_choice(profile, "recurrencyKind", ("Daily", "Weekly"), required=False)
        schedule = profile.get("chargingSchedule")
        if not isinstance(schedule, dict):
            raise self._invalid("the profile needs a chargingSchedule.")
        self._need_choice(schedule, "chargingRateUnit", ("A", "W"))
        periods = schedule.get("chargingSchedulePeriod")
        if not isinstance(periods, list) or not periods:
            raise self._invalid("the charging schedule needs at least one period.")
        for period in periods:
            self._need_int(period, "startPeriod", 0)
            limit = period.get("limit")
            if not isinstance(limit, int | float) or isinstance(limit, bool) or limit < 0:
                raise self._invalid("each period needs a limit of 0 or more, not %(v)r.", v=limit)
            self._need_int(period, "numberPhases", 1, required=False)

    def _check_ClearChargingProfile(self, payload):
        self._only_keys(payload, "id", "connectorId", "chargingProfilePurpose", "stackLevel")
        self._need_int(payload, "id", 1, required=False)
        self._need_int(payload, "connectorId", 0, required=False)
        self._need_choice(payload, "chargingProfilePurpose", PURPOSES, required=False)
        self._need_int(payload, "stackLevel", 0, required=False)

    def _check_GetCompositeSchedule(self, payload):
        self._only_keys(payload, "connectorId", "duration", "chargingRateUnit")
        self._need_int(payload, "connectorId", 0)
        self._need_int(payload, "duration", 1)
        self._need_choice(payload, "chargingRateUnit", ("A", "W"), required=False)

    # Staff actions on a command.

    def action_cancel(self):
        """Withdraw commands the bridge has not picked up yet."""
        for command in self:
            if command.state != "queued":
                raise UserError(
                    self.env._(
                        "%(name)s was already sent to the charger: it can no longer be cancelled.",
                        name=command.name,
                    )
                )
        # sudo: state is read-only for staff; cancelling a queued command is theirs to do.
        self.sudo().write({"state": "cancelled", "answered_at": fields.Datetime.now()})
        for command in self:
            command._on_failure()
        return True

    # Answers from the bridge (arthexis.bridge.api.command_results).

    def _apply_result(self, status, response, error=None):
        """Record the bridge's report and apply the answer to Odoo's records."""
        self.ensure_one()
        now = fields.Datetime.now()
        values = {"answered_at": now, "sent_at": self.sent_at or now}
        if status in ("accepted", "rejected"):
            response = response if isinstance(response, dict) else {}
            word = response.get("status")
            # The charger's own status word decides; "rejected" without one stays rejected.
            rejected = (word and word not in POSITIVE_STATUSES) or (
                status == "rejected" and not word
            )
            values.update(
                state="rejected" if rejected else "accepted",
                response=response,
                response_status=word or False,
            )
        else:
            detail = response if isinstance(response, dict) else {}
            values.update(
                state=status,
                response=detail or None,
                error=error or detail.get("error_description") or detail.get("error_code") or False,
            )
        self.write(values)
        if self.state in ("accepted", "rejected"):
            hook = getattr(self, f"_on_{self.action}", None)
            if hook:
                hook(self.response or {})
        else:
            self._on_failure()
        self._tell_requester()

    def _tell_requester(self):
        """A notification in the requester's open Odoo tabs: the answer came back."""
        user = self.requested_by_id
        if not user or user._is_public() or not user.partner_id:
            return
        kind = {"accepted": "success", "rejected": "warning"}.get(self.state, "danger")
        labels = dict(STATES)
        message = self.env._(
            "%(command)s: %(state)s%(status)s",
            command=self.name,
            state=labels[self.state],
            status=f" ({self.response_status})" if self.response_status else "",
        )
        self.env["bus.bus"]._sendone(
            user.partner_id,
            "simple_notification",
            {"title": self.env._("Charger answered"), "message": message, "type": kind},
        )

    def _on_failure(self):
        """A command that did not go through: undo what was waiting for it."""
        if self.reservation_id and self.action == "ReserveNow":
            self.reservation_id._on_reserve_failed(self)

    # Per-action hooks: what an answer changes in Odoo. Each gets the CALLRESULT payload.

    def _on_GetConfiguration(self, response):
        self.charger_id._store_configuration(response)

    def _on_ChangeConfiguration(self, response):
        self.charger_id._store_configuration_change(
            self.payload["key"], self.payload["value"], response.get("status")
        )

    def _on_SendLocalList(self, response):
        charger = self.charger_id
        if response.get("status") == "Accepted":
            charger.write(
                {
                    "local_list_version": self.payload["listVersion"],
                    "local_list_status": "Accepted",
                }
            )
        else:
            # VersionMismatch, Failed: the next update must be a full one.
            charger.write({"local_list_status": response.get("status"), "local_list_version": 0})

    def _on_GetLocalListVersion(self, response):
        reported = response.get("listVersion")
        charger = self.charger_id
        values = {"local_list_reported_version": reported}
        if isinstance(reported, int) and reported != charger.local_list_version:
            values["local_list_version"] = 0  # out of step: send the full list next
        charger.write(values)

    def _on_ReserveNow(self, response):
        if self.reservation_id:
            self.reservation_id._on_reserve_answer(response.get("status"))

    def _on_CancelReservation(self, response):
        if self.reservation_id and response.get("status") == "Accepted":
            self.reservation_id.write({"state": "cancelled"})

    # Availability and charging profiles change how a charger behaves until changed
    # again: a note in its chatter says who changed what, and when.

    def _on_ChangeAvailability(self, response):
        if self.state != "accepted":
            return
        number = self.payload["connectorId"]
        self._note_on_charger(
            self.env._(
                "%(target)s set %(type)s by %(user)s (%(status)s).",
                target=self.env._("Connector %s", number) if number else self.env._("The charger"),
                type=self.payload["type"],
                user=self.requested_by_id.name,
                status=response.get("status"),
            )
        )

    def _on_SetChargingProfile(self, response):
        if self.state != "accepted":
            return
        profile = self.payload["csChargingProfiles"]
        self._note_on_charger(
            self.env._(
                "Charging profile %(profile)s (%(purpose)s) set on connector %(number)s "
                "by %(user)s.",
                profile=self.profile_id.name or profile["chargingProfileId"],
                purpose=profile["chargingProfilePurpose"],
                number=self.payload["connectorId"],
                user=self.requested_by_id.name,
            )
        )

    def _on_ClearChargingProfile(self, response):
        if self.state != "accepted":
            return
        which = ", ".join(f"{key} {value}" for key, value in sorted((self.payload or {}).items()))
        self._note_on_charger(
            self.env._(
                "Charging profiles cleared (%(which)s) by %(user)s.",
                which=which or self.env._("all"),
                user=self.requested_by_id.name,
            )
        )

    def _note_on_charger(self, body):
        self.charger_id.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _on_UpdateFirmware(self, response):
        if self.state != "accepted":
            return
        self.env["ocpp.transfer.status"].create(
            {
                "charger_id": self.charger_id.id,
                "kind": "firmware",
                "status": "Requested",
                "at": fields.Datetime.now(),
                "firmware_id": self.firmware_id.id,
            }
        )

    def _on_GetDiagnostics(self, response):
        if self.state != "accepted":
            return
        self.env["ocpp.transfer.status"].create(
            {
                "charger_id": self.charger_id.id,
                "kind": "diagnostics",
                "status": "Requested",
                "at": fields.Datetime.now(),
                "detail": response.get("fileName") or False,
            }
        )

    # One-time file transfers (controllers/transfer.py).

    @api.model
    def _transfer_by_token(self, token, action):
        """The command of a transfer token and a verdict: ok, unknown or used."""
        command = self.search([("token", "=", token), ("action", "=", action)], limit=1)
        if not token or not command:
            return self, "unknown"
        if command.token_used_at or command.state in (
            "expired",
            "cancelled",
            "failed",
            "timed_out",
            "rejected",
        ):
            return command, "used"
        return command, "ok"

    def _serve_firmware(self):
        """The firmware file, once: the token is spent as it is handed out."""
        self.ensure_one()
        self.token_used_at = fields.Datetime.now()
        firmware = self.firmware_id.with_context(bin_size=False)
        return base64.b64decode(firmware.file or b""), firmware.filename or f"{firmware.name}.bin"

    def _store_diagnostics(self, content, filename=None):
        """Keep an uploaded diagnostics file on the charger; the token is spent."""
        self.ensure_one()
        now = fields.Datetime.now()
        name = filename or (
            f"diagnostics-{self.charger_id.charge_point_id}-{now:%Y%m%d-%H%M%S}.bin"
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": content,
                "res_model": "ocpp.charger",
                "res_id": self.charger_id.id,
            }
        )
        self.write({"token_used_at": now, "attachment_id": attachment.id})
        self.env["ocpp.transfer.status"].create(
            {
                "charger_id": self.charger_id.id,
                "kind": "diagnostics",
                "status": "Received",
                "at": now,
                "detail": name,
            }
        )
        self.charger_id.message_post(
            body=self.env._("Diagnostics received: %s", name), attachment_ids=attachment.ids
        )
        return attachment

    # Scheduled action.

    @api.model
    def _cron_expire(self):
        """Close commands no bridge took in time, and sent ones never answered."""
        now = fields.Datetime.now()
        stale = self.search([("state", "=", "queued"), ("expires_at", "<", now)])
        stale.write({"state": "expired", "answered_at": now})
        timeout = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("arthexis_ocpp.command_answer_timeout_minutes", "10")
        )
        lost = self.search(
            [("state", "=", "sent"), ("sent_at", "<", now - timedelta(minutes=timeout))]
        )
        lost.write(
            {
                "state": "timed_out",
                "answered_at": now,
                "error": self.env._("No answer reported by the bridge."),
            }
        )
        for command in stale | lost:
            command._on_failure()

    def _bridge_values(self):
        """A command as the bridge receives it (docs/commands.md)."""
        self.ensure_one()
        return {
            "id": self.id,
            "charger": self.charger_id.charge_point_id,
            "action": self.action,
            "payload": self.payload or {},
            "expires_at": self.expires_at.isoformat() + "Z",
        }


COMMAND_CHANNEL = "arthexis_ocpp_commands"
