from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError


@tagged("post_install", "-at_install")
class TestChargerValidation(TransactionCase):
    def test_charge_point_id_with_a_slash_or_space_or_too_long_is_refused(self):
        Charger = self.env["ocpp.charger"]
        for bad in ("CP/1", "CP 1", "", "X" * 49):
            with self.subTest(cp_id=bad), self.assertRaisesRegex(ValidationError, "printable"):
                Charger.create({"charge_point_id": bad})

    def test_charger_is_shown_by_its_name_or_else_its_id(self):
        charger = self.env["ocpp.charger"].create({"charge_point_id": "CP-" + "9" * 45})
        self.assertEqual(charger.display_name, charger.charge_point_id)
        charger.name = "Garage left"
        self.assertEqual(charger.display_name, "Garage left")

    def test_charge_point_id_is_unique(self):
        self.env["ocpp.charger"].create({"charge_point_id": "CP-1"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["ocpp.charger"].create({"charge_point_id": "CP-1"})

    def test_negative_connector_number_is_refused(self):
        charger = self.env["ocpp.charger"].create({"charge_point_id": "CP-1"})
        with self.assertRaisesRegex(ValidationError, "start at 0"):
            self.env["ocpp.connector"].create({"charger_id": charger.id, "connector_number": -1})
