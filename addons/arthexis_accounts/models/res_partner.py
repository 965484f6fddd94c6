from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    energy_account_ids = fields.One2many(
        "arthexis.energy.account", "partner_id", string="Energy accounts"
    )
    energy_balance_kwh = fields.Float(
        "Energy balance (kWh)",
        compute="_compute_energy_balance_kwh",
        digits=(16, 3),
        help="The kWh left on this customer's energy account in the current company.",
    )

    def _compute_energy_balance_kwh(self):
        Account = self.env["arthexis.energy.account"]
        for partner in self:
            partner.energy_balance_kwh = Account._for_partner(partner).balance_kwh

    def action_view_energy_account(self):
        """The customer's energy account in the current company, created on first use."""
        self.ensure_one()
        partner = self.commercial_partner_id
        account = self.env["arthexis.energy.account"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)], limit=1
        ) or self.env["arthexis.energy.account"].create({"partner_id": partner.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": "arthexis.energy.account",
            "res_id": account.id,
            "view_mode": "form",
        }
