from odoo import api, fields, models
from odoo.exceptions import ValidationError

CHANGE_STATUSES = [
    ("Accepted", "Accepted"),
    ("RebootRequired", "Reboot required"),
    ("Rejected", "Rejected"),
    ("NotSupported", "Not supported"),
]


class OcppChargerConfigKey(models.Model):
    """One configuration key of a charger, as GetConfiguration last read it."""

    _name = "ocpp.charger.config.key"
    _description = "Charger Configuration Key"
    _order = "charger_id, key"
    _rec_name = "key"

    charger_id = fields.Many2one("ocpp.charger", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    key = fields.Char(required=True, readonly=True)
    value = fields.Char(readonly=True, help="The value the charger last reported or accepted.")
    new_value = fields.Char(
        help="Type a value and press Send configuration: the charger is asked to change it."
    )
    readonly = fields.Boolean(
        "Read-only", readonly=True, help="The charger does not allow changes."
    )
    last_read = fields.Datetime(readonly=True)
    last_change_status = fields.Selection(CHANGE_STATUSES, "Last change", readonly=True)
    last_change_at = fields.Datetime(readonly=True)
    pending = fields.Boolean(compute="_compute_pending", help="A new value waits to be sent.")

    _sql_constraints = [
        ("charger_key_unique", "unique(charger_id, key)", "A charger has each key once."),
    ]

    @api.depends("value", "new_value")
    def _compute_pending(self):
        for key in self:
            key.pending = key.new_value not in (False, key.value)

    @api.constrains("new_value", "readonly")
    def _check_new_value(self):
        for key in self:
            if key.new_value and key.readonly:
                raise ValidationError(
                    self.env._(
                        "%(key)s is read-only on the charger: it cannot be changed.", key=key.key
                    )
                )
            if key.new_value and len(key.new_value) > 500:
                raise ValidationError(
                    self.env._("A configuration value has at most 500 characters.")
                )
