from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError


@tagged("post_install", "-at_install")
class TestRfid(TransactionCase):
    def card(self, uid="04A2B3C4", **values):
        return self.env["arthexis.rfid"].create({"uid": uid, **values})

    def test_uid_is_normalized_to_upper_case_hex(self):
        self.assertEqual(self.card("04:a2 b3-c4").uid, "04A2B3C4")
        self.assertEqual(self.card("04a2b3c4d5e6f7").uid, "04A2B3C4D5E6F7")

    def test_uids_of_other_lengths_or_not_hex_are_refused_with_a_readable_message(self):
        for bad in ("04A2B3", "04A2B3C4D5", "04A2B3G4", ""):
            with (
                self.subTest(uid=bad),
                self.assertRaisesRegex(ValidationError, "8, 14 or 20 hexadecimal"),
                self.cr.savepoint(),
            ):
                self.card(bad)

    def test_a_uid_is_one_card_whatever_its_spelling(self):
        self.card("04A2B3C4")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            self.card("04:a2:b3:c4")

    def test_each_card_tells_a_charger_what_the_policy_says(self):
        now = fields.Datetime.now()
        group = self.card("0A0B0C0D")
        cases = {
            "Accepted": self.card("04000001", parent_id=group.id),
            "Blocked": self.card("04000002", allowed=False),
            "Expired": self.card("04000003", valid_until=now - timedelta(days=1)),
            "Invalid": self.card("04000004", active=False),
        }
        for status, card in cases.items():
            with self.subTest(status=status):
                self.assertEqual(card._authorization()["status"], status)
        self.assertEqual(cases["Accepted"]._authorization()["parent_id_tag"], "0A0B0C0D")

    def test_every_change_a_bridge_must_learn_bumps_the_version(self):
        card = self.card()
        first = card.auth_version
        card.label = "renamed"
        self.assertEqual(card.auth_version, first, "a label is not the bridges' business")
        card.allowed = False
        self.assertGreater(card.auth_version, first)

    def test_cards_are_archived_not_deleted(self):
        card = self.card()
        with self.assertRaisesRegex(UserError, "Archive"):
            card.unlink()
