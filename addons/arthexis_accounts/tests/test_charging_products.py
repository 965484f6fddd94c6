from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestChargingProducts(TransactionCase):
    def test_a_tariff_is_sold_per_kwh_only(self):
        with self.assertRaisesRegex(ValidationError, "unit of measure to kWh"), self.cr.savepoint():
            self.env["product.template"].create(
                {
                    "name": "Per piece",
                    "charging_kind": "tariff",
                    "uom_id": self.env.ref("uom.product_uom_unit").id,
                }
            )

    def test_choosing_tariff_on_the_form_sets_kwh(self):
        form = Form(self.env["product.template"])
        form.name = "Charging"
        form.charging_kind = "tariff"
        tariff = form.save()
        self.assertEqual(tariff.uom_id, self.env.ref("arthexis_accounts.uom_kwh"))

    def test_a_credit_product_credits_some_kwh(self):
        with self.assertRaisesRegex(ValidationError, "more than 0 kWh"), self.cr.savepoint():
            self.env["product.template"].create(
                {"name": "Nothing", "charging_kind": "credit", "credit_kwh": 0}
            )
