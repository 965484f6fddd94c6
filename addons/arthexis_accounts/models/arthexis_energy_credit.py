from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ArthexisEnergyCredit(models.Model):
    """kWh added to (or, negative, taken from) an energy account, by whom and why."""

    _name = "arthexis.energy.credit"
    _inherit = ["arthexis.energy.account.line"]
    _description = "Energy Credit"
    _order = "create_date desc, id desc"

    account_id = fields.Many2one(
        "arthexis.energy.account", required=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="account_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    amount_kwh = fields.Float(
        "Amount (kWh)", required=True, digits=(16, 3), help="Negative to correct a credit."
    )
    note = fields.Char()
    invoice_id = fields.Many2one(
        "account.move",
        string="Paid invoice",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The paid invoice of kWh credit this line comes from.",
    )

    @api.constrains("amount_kwh")
    def _check_amount_kwh(self):
        if any(not credit.amount_kwh for credit in self):
            raise ValidationError(self.env._("A credit line needs an amount of kWh other than 0."))
