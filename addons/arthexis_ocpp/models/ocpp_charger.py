import base64
import io
import string
from datetime import timedelta
from urllib.parse import quote

import qrcode
from markupsafe import Markup, escape
from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..tools import hash_password
from .ocpp_status import CONNECTOR_STATUSES, PROTOCOLS

CHARGE_POINT_ID_MAX = 48
# Printable, no whitespace: the id is the last segment of the websocket URL.
CHARGE_POINT_ID_CHARS = set(string.printable) - set(string.whitespace) - {"/"}

# Which connector status speaks for the whole charger, most telling first.
STATUS_PRIORITY = [
    "Faulted",
    "Charging",
    "SuspendedEV",
    "SuspendedEVSE",
    "Preparing",
    "Finishing",
    "Occupied",
    "Reserved",
    "Available",
    "Unavailable",
]


# Bootstrap colours for connector statuses on the dashboard.
STATUS_COLOURS = {
    "Available": "success",
    "Preparing": "info",
    "Charging": "primary",
    "SuspendedEV": "info",
    "SuspendedEVSE": "info",
    "Finishing": "info",
    "Reserved": "warning",
    "Occupied": "primary",
    "Unavailable": "secondary",
    "Faulted": "danger",
}

# The public page lists this many of the latest completed sessions.
PUBLIC_SESSIONS = 10


class OcppCharger(models.Model):
    """A charge point, as its bridge reports it."""

    _name = "ocpp.charger"
    _description = "Charge Point"
    _inherit = ["mail.thread"]
    _order = "charge_point_id"
    _rec_names_search = ["name", "charge_point_id"]

    charge_point_id = fields.Char(
        "Charge point ID",
        required=True,
        index=True,
        tracking=True,
        help="The id the charger uses in its websocket URL: ws://bridge/ocpp/<id>.",
    )
    name = fields.Char(
        "Display name", help="How staff call it, e.g. Garage left. Defaults to the ID."
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    node_id = fields.Many2one(
        "arthexis.node", string="Serving node", index=True, tracking=True, ondelete="set null"
    )
    protocol = fields.Selection(PROTOCOLS, string="OCPP version")
    registration_state = fields.Selection(
        [("accepted", "Accepted"), ("pending", "Pending approval"), ("rejected", "Rejected")],
        string="Registration",
        required=True,
        default="accepted",
        tracking=True,
        help="A charger the bridge did not know boots as pending until staff approve it.",
    )
    password = fields.Char(
        compute="_compute_password",
        inverse="_inverse_password",
        groups="arthexis_nodes.group_charging_manager",
        help="OCPP security profile 1 and 2: the charger's HTTP Basic password. "
        "Stored hashed; leave empty to keep the current one.",
    )
    password_hash = fields.Char(readonly=True, groups="base.group_system", copy=False)
    has_password = fields.Boolean("Password set", compute="_compute_has_password")
    require_rfid = fields.Boolean(
        "Require RFID", default=True, help="Off: anyone may charge without a card (free vend)."
    )
    tariff_id = fields.Many2one(
        "product.product",
        domain=[("charging_kind", "=", "tariff")],
        help="Prices postpaid sessions here. Empty: the default tariff in Charging settings.",
    )
    public = fields.Boolean(
        help="Show this charger on its public page, /charger/<id>, and on public maps."
    )
    address_id = fields.Many2one("res.partner", string="Location", tracking=True)
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    vendor = fields.Char(readonly=True)
    model = fields.Char(readonly=True)
    serial_number = fields.Char(readonly=True)
    charge_box_serial_number = fields.Char(readonly=True)
    firmware_version = fields.Char(readonly=True)
    iccid = fields.Char("ICCID", readonly=True)
    imsi = fields.Char("IMSI", readonly=True)
    meter_type = fields.Char(readonly=True)
    meter_serial_number = fields.Char(readonly=True)
    last_boot = fields.Datetime(readonly=True)
    last_heartbeat = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True, help="Time of the last message from this charger.")
    firmware_status = fields.Char(readonly=True, help="The last FirmwareStatusNotification.")
    firmware_status_at = fields.Datetime(readonly=True)
    diagnostics_status = fields.Char(readonly=True, help="The last DiagnosticsStatusNotification.")
    diagnostics_status_at = fields.Datetime(readonly=True)
    connector_ids = fields.One2many("ocpp.connector", "charger_id", string="Connectors")
    transaction_ids = fields.One2many("ocpp.transaction", "charger_id", string="Sessions")
    connector_count = fields.Integer(compute="_compute_connector_count")
    status = fields.Selection(
        [*CONNECTOR_STATUSES, ("Unknown", "Unknown")],
        compute="_compute_status",
        store=True,
        default="Unknown",
        help="The most telling status among the connectors (a fault first, then charging).",
    )

    is_online = fields.Boolean(
        "Online",
        compute="_compute_is_online",
        search="_search_is_online",
        help="Heard from within the offline delay (Settings: arthexis_ocpp.offline_after_minutes).",
    )
    active_power_kw = fields.Float("Power (kW)", compute="_compute_active_session", digits=(16, 1))
    active_energy_kwh = fields.Float(
        "Session energy (kWh)", compute="_compute_active_session", digits=(16, 2)
    )
    connector_badges = fields.Html(compute="_compute_connector_badges", sanitize=False)
    status_colour = fields.Char(
        compute="_compute_status_colour", help="The Bootstrap colour of the status (map pins)."
    )
    security_event_ids = fields.One2many(
        "ocpp.security.event", "charger_id", string="Security events"
    )

    _sql_constraints = [
        (
            "charge_point_id_unique",
            "unique(charge_point_id)",
            "Another charger already uses this charge point ID.",
        ),
    ]

    @api.depends("name", "charge_point_id")
    def _compute_display_name(self):
        for charger in self:
            charger.display_name = charger.name or charger.charge_point_id

    @api.depends("connector_ids")
    def _compute_connector_count(self):
        for charger in self:
            charger.connector_count = len(charger.connector_ids.filtered("connector_number"))

    @api.depends("connector_ids.status", "connector_ids.connector_number")
    def _compute_status(self):
        for charger in self:
            charger.status = charger._overall_status()

    def _overall_status(self):
        whole = self.connector_ids.filtered(lambda c: c.connector_number == 0)
        if whole.status in ("Faulted", "Unavailable"):
            return whole.status
        statuses = set(self.connector_ids.filtered("connector_number").mapped("status"))
        statuses |= set(whole.mapped("status"))
        for status in STATUS_PRIORITY:
            if status in statuses:
                return status
        return "Unknown"

    def _offline_since(self):
        minutes = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("arthexis_ocpp.offline_after_minutes", "10")
        )
        return fields.Datetime.now() - timedelta(minutes=int(minutes))

    @api.depends("last_seen")
    def _compute_is_online(self):
        since = self._offline_since()
        for charger in self:
            charger.is_online = bool(charger.last_seen and charger.last_seen >= since)

    def _search_is_online(self, operator, value):
        if operator not in ("=", "!="):
            raise ValueError(self.env._("Search 'Online' with = or != only."))
        online = (operator == "=") == bool(value)
        since = self._offline_since()
        if online:
            return [("last_seen", ">=", since)]
        return ["|", ("last_seen", "=", False), ("last_seen", "<", since)]

    def _compute_active_session(self):
        sessions = self.env["ocpp.transaction"].search(
            [("charger_id", "in", self.ids), ("state", "=", "active")]
        )
        for charger in self:
            mine = sessions.filtered(lambda s, c=charger: s.charger_id == c)
            charger.active_power_kw = sum(mine.mapped("power_w")) / 1000
            charger.active_energy_kwh = sum(mine.mapped("energy_kwh"))

    @api.depends("connector_ids.status")
    def _compute_connector_badges(self):
        for charger in self:
            badges = [
                Markup(
                    '<span class="badge rounded-pill me-1 text-bg-{}" title="{}">{}</span>'
                ).format(
                    STATUS_COLOURS.get(c.status, "secondary"),
                    escape(c.status or ""),
                    c.connector_number,
                )
                for c in charger.connector_ids.filtered("connector_number")
            ]
            charger.connector_badges = Markup("").join(badges)

    @api.depends("status")
    def _compute_status_colour(self):
        for charger in self:
            charger.status_colour = STATUS_COLOURS.get(charger.status, "secondary")

    def _compute_password(self):
        self.password = False

    def _inverse_password(self):
        for charger in self.filtered("password"):
            # sudo: managers set passwords; only the hash is kept, readable by no user.
            charger.sudo().password_hash = hash_password(charger.password)

    def _compute_has_password(self):
        for charger, privileged in zip(self, self.sudo(), strict=True):
            charger.has_password = bool(privileged.password_hash)

    def action_message_log(self):
        """The raw OCPP frames this charger exchanged, newest first."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "arthexis_ocpp.action_ocpp_message_log"
        )
        action["domain"] = [("charge_point_id", "=", self.charge_point_id)]
        action["name"] = self.env._("Messages of %s", self.display_name)
        return action

    def action_approve(self):
        self._check_manager()
        self.write({"registration_state": "accepted"})
        return True

    def action_reject(self):
        self._check_manager()
        self.write({"registration_state": "rejected"})
        return True

    def _check_manager(self):
        if not self.env.user.has_group("arthexis_nodes.group_charging_manager"):
            raise AccessError(
                self.env._("Only charging administrators approve or reject chargers.")
            )

    @api.constrains("latitude", "longitude")
    def _check_coordinates(self):
        for charger in self:
            if not -90 <= charger.latitude <= 90 or not -180 <= charger.longitude <= 180:
                raise ValidationError(
                    self.env._(
                        "The coordinates %(lat)s, %(lon)s are out of range: latitude is "
                        "between -90 and 90, longitude between -180 and 180 (decimal degrees).",
                        lat=charger.latitude,
                        lon=charger.longitude,
                    )
                )

    @api.constrains("charge_point_id")
    def _check_charge_point_id(self):
        for charger in self:
            cp_id = charger.charge_point_id or ""
            if (
                not 1 <= len(cp_id) <= CHARGE_POINT_ID_MAX
                or not set(cp_id) <= CHARGE_POINT_ID_CHARS
            ):
                raise ValidationError(
                    self.env._(
                        "The charge point ID %(cp_id)r is not valid: use 1 to %(max)s printable "
                        "characters without spaces or '/', exactly as configured on the charger.",
                        cp_id=cp_id,
                        max=CHARGE_POINT_ID_MAX,
                    )
                )

    # The public page and its QR code label.

    public_url = fields.Char(
        "Public page",
        compute="_compute_public_url",
        help="The charger's public page, /charger/<id>; it answers only while Public is set.",
    )
    public_qr_code = fields.Image(
        "QR code", compute="_compute_public_qr_code", help="A QR code of the public page URL."
    )

    @api.depends("charge_point_id")
    def _compute_public_url(self):
        for charger in self:
            charger.public_url = charger._public_url()

    @api.depends("public_url")
    def _compute_public_qr_code(self):
        for charger in self:
            url = charger.public_url
            charger.public_qr_code = base64.b64encode(self._qr_png(url)) if url else False

    def _public_url(self):
        """The absolute URL of the public page: base URL + /charger/<quoted id>."""
        self.ensure_one()
        if not self.charge_point_id:
            return False
        # The id may hold any printable character but '/', e.g. '#' or '?': quote them all.
        return f"{self.get_base_url()}/charger/{quote(self.charge_point_id, safe='')}"

    @api.model
    def _qr_png(self, data):
        """A PNG (bytes) of a QR code of ``data``, readable from a printed label."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10)
        code.add_data(data)
        code.make(fit=True)
        stream = io.BytesIO()
        code.make_image().save(stream, format="PNG")
        return stream.getvalue()

    @api.model
    def _public_charger(self, charge_point_id):
        """The active, public charger with this id, or no record."""
        return self.with_context(active_test=True).search(
            [("charge_point_id", "=", charge_point_id), ("public", "=", True)], limit=1
        )

    def _public_summary(self):
        """What the public page shows, as plain values.

        Only the charger's name, city, statuses, energy and the date, duration and
        energy of recent sessions: never tags, people, transaction ids, nodes or
        companies, so the page cannot show what it is not given.
        """
        self.ensure_one()
        status_labels = dict(self._fields["status"]._description_selection(self.env))
        Connector = self.env["ocpp.connector"]
        connector_labels = dict(Connector._fields["status"]._description_selection(self.env))
        Session = self.env["ocpp.transaction"]
        completed = [("charger_id", "=", self.id), ("state", "=", "completed")]
        [(energy,)] = Session._read_group(completed, aggregates=["energy_kwh:sum"])
        sessions = Session.search(
            completed, order="start_time desc, id desc", limit=PUBLIC_SESSIONS
        )
        return {
            "name": self.display_name,
            "charge_point_id": self.charge_point_id,
            "city": self.address_id.city or "",
            "country": self.address_id.country_id.name or "",
            "status": status_labels.get(self.status, self.status or ""),
            "colour": STATUS_COLOURS.get(self.status, "secondary"),
            "is_online": self.is_online,
            "connectors": [
                {
                    "number": connector.connector_number,
                    "status": connector_labels.get(connector.status) or status_labels["Unknown"],
                    "colour": STATUS_COLOURS.get(connector.status, "secondary"),
                    "since": connector.status_at,
                }
                for connector in self.connector_ids.filtered("connector_number")
            ],
            "energy_kwh": energy or 0.0,
            "sessions": [
                {
                    "start": session.start_time,
                    "duration_hours": session.duration_hours,
                    "energy_kwh": session.energy_kwh,
                }
                for session in sessions
            ],
            "url": self.public_url,
        }
