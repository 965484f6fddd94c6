from odoo import fields, models


class ArthexisEnergyConsumption(models.Model):
    """Energy a completed session used, charged to an account.

    Sessions live in arthexis_ocpp, which writes these lines; this module only
    needs the kWh to keep balances and plan usage.
    """

    _name = "arthexis.energy.consumption"
    _inherit = ["arthexis.energy.account.line"]
    _description = "Energy Consumption"
    _order = "date desc, id desc"

    account_id = fields.Many2one(
        "arthexis.energy.account", required=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="account_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    amount_kwh = fields.Float("Energy (kWh)", required=True, digits=(16, 3))
    debit = fields.Boolean(
        "Debited from credit",
        help="On: the kWh come off the prepaid balance. "
        "Off: a plan covers them (they count toward its included kWh).",
    )
    subscription_id = fields.Many2one(
        "arthexis.subscription", index="btree_not_null", ondelete="restrict"
    )
    note = fields.Char()
