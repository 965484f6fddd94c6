from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestEnergyUnits(TransactionCase):
    def test_meter_watt_hours_convert_to_kwh_and_mwh(self):
        wh = self.env.ref("arthexis_accounts.uom_wh")
        kwh = self.env.ref("arthexis_accounts.uom_kwh")
        mwh = self.env.ref("arthexis_accounts.uom_mwh")

        self.assertAlmostEqual(wh._compute_quantity(12345, kwh), 12.345)
        self.assertAlmostEqual(kwh._compute_quantity(2.5, wh), 2500)
        self.assertAlmostEqual(wh._compute_quantity(3_000_000, mwh), 3.0)

    def test_a_kwh_price_converts_to_a_wh_price(self):
        wh = self.env.ref("arthexis_accounts.uom_wh")
        kwh = self.env.ref("arthexis_accounts.uom_kwh")
        # 0.30 per kWh is 0.0003 per Wh: product prices follow the unit.
        self.assertAlmostEqual(kwh._compute_price(0.30, wh), 0.0003)

    def test_energy_does_not_convert_to_other_categories(self):
        kwh = self.env.ref("arthexis_accounts.uom_kwh")
        with self.assertRaises(UserError):
            kwh._compute_quantity(1, self.env.ref("uom.product_uom_hour"))
