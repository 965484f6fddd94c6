from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    arthexis_subscription_id = fields.Many2one(
        "arthexis.subscription",
        string="Charging plan subscription",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        copy=False,
    )
    arthexis_credit_ids = fields.One2many(
        "arthexis.energy.credit", "invoice_id", string="kWh credited", readonly=True
    )

    def _invoice_paid_hook(self):
        """A paid invoice of kWh credit adds its kWh to the customer's account, once."""
        res = super()._invoice_paid_hook()
        self._arthexis_grant_credits()
        return res

    def _arthexis_grant_credits(self):
        Account = self.env["arthexis.energy.account"].sudo()
        # sudo: the payment is what entitles the customer; whoever reconciled it
        # need not manage energy accounts.
        Credit = self.env["arthexis.energy.credit"].sudo()
        for invoice in self.filtered(
            lambda m: m.move_type == "out_invoice" and m.payment_state in ("paid", "in_payment")
        ):
            lines = invoice.invoice_line_ids.filtered(
                lambda line: line.product_id.charging_kind == "credit"
            )
            if not lines or Credit.search_count([("invoice_id", "=", invoice.id)]):
                continue
            account = Account._for_partner(invoice.partner_id, invoice.company_id)
            if not account:
                account = Account.create(
                    {
                        "partner_id": invoice.partner_id.commercial_partner_id.id,
                        "company_id": invoice.company_id.id,
                    }
                )
            Credit.create(
                [
                    {
                        "account_id": account.id,
                        "amount_kwh": line.product_uom_id._compute_quantity(
                            line.quantity, line.product_id.uom_id
                        )
                        * line.product_id.credit_kwh,
                        "note": self.env._("Paid invoice %s", invoice.name),
                        "invoice_id": invoice.id,
                    }
                    for line in lines
                ]
            )
