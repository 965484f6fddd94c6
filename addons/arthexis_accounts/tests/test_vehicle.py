from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from ..models.arthexis_vehicle import vin_check_digit


@tagged("post_install", "-at_install")
class TestVehicle(TransactionCase):
    def vehicle(self, vin, **values):
        return self.env["arthexis.vehicle"].create(
            {"brand": "Tesla", "model": "Model 3", "vin": vin, **values}
        )

    def test_a_north_american_vin_with_its_check_digit_is_accepted(self):
        # 1M8GDM9AXKP042788: the textbook example, check digit X.
        self.assertEqual(vin_check_digit("1M8GDM9AXKP042788"), "X")
        self.assertEqual(self.vehicle("1m8gdm9axkp042788").vin, "1M8GDM9AXKP042788")

    def test_a_mistyped_north_american_vin_is_refused_with_the_expected_digit(self):
        with self.assertRaisesRegex(ValidationError, "should be X"), self.cr.savepoint():
            self.vehicle("1M8GDM9A1KP042788")

    def test_european_vins_carry_no_check_digit(self):
        self.assertTrue(self.vehicle("WVWZZZ1JZXW000001"))

    def test_wrong_length_or_letters_i_o_q_are_refused(self):
        for bad in (
            "WVWZZZ1JZXW00000",
            "WVWZZZ1JZXW0000001",
            "WVWZZZ1JZXW00000O",
            "WVWZZZIJZXW000001",
        ):
            with (
                self.subTest(vin=bad),
                self.assertRaisesRegex(ValidationError, "17 letters and digits, without I, O or Q"),
                self.cr.savepoint(),
            ):
                self.vehicle(bad)

    def test_a_vehicle_belongs_to_its_accounts_customer(self):
        partner = self.env["res.partner"].create({"name": "Ada"})
        account = self.env["arthexis.energy.account"].create({"partner_id": partner.id})
        self.assertEqual(
            self.vehicle("WVWZZZ1JZXW000001", account_id=account.id).partner_id, partner
        )
