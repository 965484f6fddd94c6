from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ChargingBillingCase


@tagged("post_install", "-at_install")
class TestDriverAccess(ChargingBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ada = new_test_user(cls.env, "ada", groups="base.group_portal", name="Ada")
        cls.bob = new_test_user(cls.env, "bob", groups="base.group_portal", name="Bob")
        cls.staff = new_test_user(cls.env, "staff", groups="arthexis_nodes.group_charging_user")
        Account = cls.env["arthexis.energy.account"]
        cls.ada_account = Account.create({"partner_id": cls.ada.partner_id.id})
        cls.bob_account = Account.create({"partner_id": cls.bob.partner_id.id})
        Card = cls.env["arthexis.rfid"]
        cls.ada_card = Card.create({"uid": "04000A0A", "partner_id": cls.ada.partner_id.id})
        cls.bob_card = Card.create({"uid": "04000B0B", "partner_id": cls.bob.partner_id.id})
        Credit = cls.env["arthexis.energy.credit"]
        cls.ada_credit = Credit.create({"account_id": cls.ada_account.id, "amount_kwh": 10})
        cls.bob_credit = Credit.create({"account_id": cls.bob_account.id, "amount_kwh": 20})

    def visible(self, user, model):
        return self.env[model].with_user(user).search([])

    def test_drivers_see_only_their_own_cards_account_and_credits(self):
        self.assertEqual(self.visible(self.ada, "arthexis.rfid"), self.ada_card)
        self.assertEqual(self.visible(self.bob, "arthexis.rfid"), self.bob_card)
        self.assertEqual(self.visible(self.ada, "arthexis.energy.account"), self.ada_account)
        self.assertEqual(self.visible(self.ada, "arthexis.energy.credit"), self.ada_credit)
        self.assertEqual(self.ada_account.with_user(self.ada).balance_kwh, 10)
        with self.assertRaises(AccessError):
            self.bob_card.with_user(self.ada).read(["uid"])

    def test_drivers_cannot_change_cards_or_credit_themselves(self):
        with self.assertRaises(AccessError):
            self.ada_card.with_user(self.ada).write({"allowed": True})
        with self.assertRaises(AccessError):
            self.env["arthexis.energy.credit"].with_user(self.ada).create(
                {"account_id": self.ada_account.id, "amount_kwh": 1000}
            )

    def test_charging_staff_see_every_card_and_add_credit(self):
        self.assertLessEqual(
            self.ada_card | self.bob_card, self.visible(self.staff, "arthexis.rfid")
        )
        credit = (
            self.env["arthexis.energy.credit"]
            .with_user(self.staff)
            .create({"account_id": self.bob_account.id, "amount_kwh": 5, "note": "goodwill"})
        )
        self.assertEqual(credit.create_uid, self.staff)
        self.assertEqual(self.bob_account.balance_kwh, 25)
