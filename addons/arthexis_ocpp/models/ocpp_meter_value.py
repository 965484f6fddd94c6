from odoo import fields, models

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
# Units the bridge may report energy and power in, as factors to Wh and W.
TO_BASE_UNIT = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0}


class OcppMeterValue(models.Model):
    """One sampled value a charger reported: a measurand at a time."""

    _name = "ocpp.meter.value"
    _description = "Meter Value"
    _order = "timestamp desc, id desc"
    _log_access = False  # millions of rows: who wrote a sample is always the bridge

    transaction_id = fields.Many2one(
        "ocpp.transaction", string="Session", index=True, ondelete="cascade"
    )
    charger_id = fields.Many2one("ocpp.charger", required=True, index=True, ondelete="cascade")
    connector_number = fields.Integer("Connector")
    company_id = fields.Many2one("res.company", index=True)
    timestamp = fields.Datetime(required=True, index=True)
    measurand = fields.Char(required=True, default=ENERGY_REGISTER)
    value = fields.Float(digits=(16, 3), help="The value as a number, in its unit.")
    raw_value = fields.Char(help="The value as sent, kept when it is not a number (signed data).")
    unit = fields.Char(default="Wh")
    phase = fields.Char()
    context = fields.Char()
    location = fields.Char()
