from odoo import api, models


class ArthexisEnergyAccountLine(models.AbstractModel):
    """What moves an energy account's balance or plan: credit and consumption lines,
    subscriptions. Each change refreshes the cards whose answer it changes."""

    _name = "arthexis.energy.account.line"
    _description = "Energy Account Change"

    @api.model_create_multi
    def create(self, vals_list):
        accounts = self.env["arthexis.energy.account"].browse(
            [vals["account_id"] for vals in vals_list if vals.get("account_id")]
        )
        with accounts._refreshing_cards():
            return super().create(vals_list)

    def write(self, vals):
        # A line moved to another account changes both accounts.
        moved_to = self.env["arthexis.energy.account"].browse(vals.get("account_id") or [])
        with (self.account_id | moved_to)._refreshing_cards():
            return super().write(vals)

    def unlink(self):
        with self.account_id._refreshing_cards():
            return super().unlink()
