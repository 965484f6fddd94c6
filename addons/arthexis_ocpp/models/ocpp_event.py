import json
import math

from odoo import api, fields, models

from ..tools import insert_rows

LEDGER_COLUMNS = [
    "uid",
    "kind",
    "charge_point_id",
    "charger_id",
    "company_id",
    "node_id",
    "protocol",
    "event_at",
    "payload",
    "state",
    "error",
]


LOG_COLUMNS = ["create_uid", "write_uid", "create_date", "write_date"]


class OcppEvent(models.Model):
    """One event a bridge delivered: the ledger that makes ingestion idempotent.

    Events that could not be applied stay here with their error, so nothing a
    charger was told was stored disappears silently.
    """

    _name = "ocpp.event"
    _description = "Bridge Event"
    _order = "id desc"
    _rec_name = "uid"

    uid = fields.Char("Event ID", required=True, readonly=True)
    kind = fields.Char(required=True, readonly=True, index=True)
    charge_point_id = fields.Char("Charge point ID", readonly=True, index=True)
    charger_id = fields.Many2one("ocpp.charger", readonly=True, index=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    node_id = fields.Many2one("arthexis.node", readonly=True, ondelete="set null")
    protocol = fields.Char(readonly=True)
    event_at = fields.Datetime("Received at", readonly=True, help="When the bridge received it.")
    payload = fields.Json("Raw event", readonly=True)
    payload_text = fields.Text("Payload", compute="_compute_payload_text")
    state = fields.Selection(
        [("done", "Applied"), ("error", "Error")], required=True, readonly=True, index=True
    )
    error = fields.Text(readonly=True)

    @api.depends("payload")
    def _compute_payload_text(self):
        for event in self:
            event.payload_text = json.dumps(event.payload, indent=2, sort_keys=True)

    @api.model
    def _record(self, records):
        """Insert ledger rows in one statement: every ingested event has one."""
        now = fields.Datetime.now()
        rows = []
        for record in records:
            row = {column: record.get(column) or None for column in LEDGER_COLUMNS}
            if record.get("payload") is not None:
                row["payload"] = jsonb_text(record["payload"])
            row.update(
                create_uid=self.env.uid, write_uid=self.env.uid, create_date=now, write_date=now
            )
            rows.append(row)
        insert_rows(self.env, self._table, [*LEDGER_COLUMNS, *LOG_COLUMNS], rows)
        self.invalidate_model()

    _sql_constraints = [
        ("uid_unique", "unique(uid)", "An event is recorded once."),
    ]


def jsonb_text(payload):
    """The payload as text PostgreSQL's jsonb takes: it refuses \\u0000 and the
    non-numbers Infinity and NaN, which Python writes (JSON clients may send them)."""
    try:
        text = json.dumps(payload, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(payload))
    return text.replace("\\u0000", "\\ufffd")


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
