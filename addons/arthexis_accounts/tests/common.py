from odoo.tests import TransactionCase


class ChargingBillingCase(TransactionCase):
    """A company with Odoo's generic chart, a 20% sales tax, a per-kWh tariff sold
    at 0.30 (0.25 on the fleet pricelist), and a customer with an energy account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.kwh = cls.env.ref("arthexis_accounts.uom_kwh")
        cls.tax = cls.env["account.tax"].create(
            {"name": "VAT 20%", "amount": 20, "type_tax_use": "sale", "company_id": cls.company.id}
        )
        cls.tariff = cls.env["product.product"].create(
            {
                "name": "Charging",
                "type": "service",
                "charging_kind": "tariff",
                "uom_id": cls.kwh.id,
                "uom_po_id": cls.kwh.id,
                "list_price": 0.30,
                "taxes_id": [(6, 0, cls.tax.ids)],
            }
        )
        # The first pricelist is every customer's default; Fleet is given to some.
        cls.public_pricelist = cls.env["product.pricelist"].create(
            {"name": "Public", "sequence": 1, "currency_id": cls.company.currency_id.id}
        )
        cls.fleet_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Fleet",
                "sequence": 20,
                "currency_id": cls.company.currency_id.id,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.tariff.id,
                            "compute_price": "fixed",
                            "fixed_price": 0.25,
                        },
                    )
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Ada Driver"})
        cls.account = cls.env["arthexis.energy.account"].create({"partner_id": cls.customer.id})

    def card(self, uid="04A2B3C4", **values):
        return self.env["arthexis.rfid"].create({"uid": uid, **values})

    def credit(self, kwh, account=None):
        return self.env["arthexis.energy.credit"].create(
            {"account_id": (account or self.account).id, "amount_kwh": kwh}
        )

    def consume(self, kwh, account=None, **values):
        return self.env["arthexis.energy.consumption"].create(
            {"account_id": (account or self.account).id, "amount_kwh": kwh, "debit": True, **values}
        )

    def pay(self, invoice):
        """Register the full payment with Odoo's own wizard, as a cashier would."""
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
            ._create_payments()
        )
