from odoo import api, fields, models

from .ocpp_meter_value import ACTIVE_POWER

AUTH_STATUSES = [
    ("Accepted", "Accepted"),
    ("Blocked", "Blocked"),
    ("Expired", "Expired"),
    ("Invalid", "Invalid"),
    ("ConcurrentTx", "Concurrent transaction"),
]

AUTH_SOURCES = [
    ("cache", "Edge cache"),
    ("odoo", "Odoo"),
    ("policy", "Offline policy"),
    ("free_vend", "Free vend"),
]

STOP_REASONS = [
    ("EmergencyStop", "Emergency stop"),
    ("EVDisconnected", "EV disconnected"),
    ("HardReset", "Hard reset"),
    ("Local", "Local"),
    ("Other", "Other"),
    ("PowerLoss", "Power loss"),
    ("Reboot", "Reboot"),
    ("Remote", "Remote"),
    ("SoftReset", "Soft reset"),
    ("UnlockCommand", "Unlock command"),
    ("DeAuthorized", "Deauthorized"),
]

ANOMALIES = [
    ("unknown_transaction", "Stop for a transaction the bridge never started"),
    ("offline_accept", "Unknown tag accepted while Odoo was away"),
    ("meter_backwards", "Meter went backwards"),
]


class OcppTransaction(models.Model):
    """A charging session, whichever OCPP version started it."""

    _name = "ocpp.transaction"
    _description = "Charging Session"
    _order = "start_time desc, id desc"
    _rec_name = "transaction_id"

    transaction_id = fields.Char(
        "Transaction ID", required=True, readonly=True, help="Allocated by the edge bridge."
    )
    charger_id = fields.Many2one(
        "ocpp.charger", required=True, readonly=True, index=True, ondelete="restrict"
    )
    connector_id = fields.Many2one("ocpp.connector", readonly=True, ondelete="set null")
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    node_id = fields.Many2one("arthexis.node", readonly=True, ondelete="set null")
    id_tag = fields.Char("ID tag", readonly=True, index=True)
    rfid_id = fields.Many2one(
        "arthexis.rfid", string="Card", readonly=True, index=True, ondelete="set null"
    )
    partner_id = fields.Many2one(
        related="rfid_id.partner_id", string="Customer", store=True, index=True
    )
    auth_status = fields.Selection(AUTH_STATUSES, "Authorization", readonly=True)
    auth_source = fields.Selection(AUTH_SOURCES, "Decided by", readonly=True)
    reservation_number = fields.Integer("Reservation", readonly=True)
    start_time = fields.Datetime(readonly=True, index=True)
    stop_time = fields.Datetime(readonly=True)
    meter_start = fields.Integer("Meter start (Wh)", readonly=True)
    meter_stop = fields.Integer("Meter stop (Wh)", readonly=True)
    meter_last = fields.Float(
        "Last meter reading (Wh)", readonly=True, help="The latest energy register sample."
    )
    power_w = fields.Float("Power (W)", readonly=True, help="The latest active power sample.")
    energy_kwh = fields.Float(
        "Energy (kWh)",
        compute="_compute_energy_kwh",
        store=True,
        digits=(16, 3),
        aggregator="sum",
    )
    stop_reason = fields.Selection(STOP_REASONS, readonly=True)
    state = fields.Selection(
        [("active", "Charging"), ("completed", "Completed"), ("anomalous", "Anomalous")],
        required=True,
        default="active",
        readonly=True,
        index=True,
    )
    anomaly = fields.Selection(ANOMALIES, readonly=True, index=True)
    anomaly_detail = fields.Char(readonly=True)
    meter_value_ids = fields.One2many("ocpp.meter.value", "transaction_id", readonly=True)
    duration_hours = fields.Float("Duration (h)", compute="_compute_duration_hours")

    _sql_constraints = [
        (
            "charger_transaction_unique",
            "unique(charger_id, transaction_id)",
            "A charger has each transaction id once.",
        ),
    ]

    @api.depends("meter_start", "meter_stop", "meter_last", "state")
    def _compute_energy_kwh(self):
        for session in self:
            end = session.meter_stop if session.stop_time else session.meter_last
            delivered = (end or 0) - (session.meter_start or 0) if end else 0
            session.energy_kwh = max(delivered, 0) / 1000

    @api.depends("start_time", "stop_time")
    def _compute_duration_hours(self):
        now = fields.Datetime.now()
        for session in self:
            if session.start_time:
                end = session.stop_time or now
                session.duration_hours = (end - session.start_time).total_seconds() / 3600
            else:
                session.duration_hours = 0

    def action_power_chart(self):
        """The session's active power over time, as Odoo's line graph."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Power of %s", self.display_name),
            "res_model": "ocpp.meter.value",
            "view_mode": "graph,list",
            "views": [
                (self.env.ref("arthexis_ocpp.view_ocpp_meter_value_graph_power").id, "graph"),
                (self.env.ref("arthexis_ocpp.view_ocpp_meter_value_list").id, "list"),
            ],
            "domain": [
                ("transaction_id", "=", self.id),
                ("measurand", "=", ACTIVE_POWER),
                ("phase", "=", False),
            ],
            "context": {"graph_measure": "value", "graph_mode": "line"},
        }
