import json

from odoo import api, fields, models


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

    _sql_constraints = [
        ("uid_unique", "unique(uid)", "An event is recorded once."),
    ]
