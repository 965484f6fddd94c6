from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..tools import verify_password
from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestChargerSettings(BridgeCase):
    def test_password_is_stored_hashed_and_verifies(self):
        charger = self.env["ocpp.charger"].create({"charge_point_id": "CP-1", "password": "s3cret"})
        stored = charger.sudo().password_hash
        self.assertNotIn("s3cret", stored)
        self.assertTrue(verify_password("s3cret", stored))
        self.assertFalse(verify_password("wrong", stored))
        self.assertTrue(charger.has_password)
        charger.invalidate_recordset()
        self.assertFalse(charger.password, "the password is never read back")

    def test_empty_password_keeps_the_current_one(self):
        charger = self.env["ocpp.charger"].create({"charge_point_id": "CP-1", "password": "s3cret"})
        before = charger.sudo().password_hash
        charger.write({"password": False, "name": "Garage"})
        self.assertEqual(charger.sudo().password_hash, before)

    def test_coordinates_out_of_range_are_refused_with_a_readable_message(self):
        Charger = self.env["ocpp.charger"]
        for lat, lon in ((91, 0), (0, 181), (-90.5, 10)):
            with (
                self.subTest(lat=lat, lon=lon),
                self.assertRaisesRegex(ValidationError, "out of range"),
                self.cr.savepoint(),
            ):
                Charger.create({"charge_point_id": "CP-1", "latitude": lat, "longitude": lon})
        Charger.create({"charge_point_id": "CP-1", "latitude": 41.3851, "longitude": 2.1734})

    def test_a_charger_the_bridge_held_pending_waits_for_a_manager(self):
        self.api.ingest([self.event("boot", vendor="ABB", registration="Pending")])
        charger = self.charger()
        self.assertEqual(charger.registration_state, "pending")

        user = self.env["res.users"].create(
            {
                "name": "Olga",
                "login": "olga",
                "groups_id": [(6, 0, self.env.ref("arthexis_nodes.group_charging_user").ids)],
            }
        )
        with self.assertRaises(AccessError):
            charger.with_user(user).action_approve()
        charger.action_approve()
        self.assertEqual(charger.registration_state, "accepted")

    def test_a_later_boot_does_not_overturn_the_staff_decision(self):
        self.api.ingest([self.event("boot", registration="Pending")])
        self.charger().action_reject()
        self.api.ingest([self.event("boot", registration="Pending")])
        self.assertEqual(self.charger().registration_state, "rejected")

    def test_bridge_gets_its_own_chargers_with_what_it_needs_to_admit_them(self):
        Charger = self.env["ocpp.charger"]
        mine = Charger.create(
            {"charge_point_id": "CP-1", "node_id": self.node.id, "password": "pw"}
        )
        Charger.create({"charge_point_id": "CP-2", "node_id": self.node.id, "require_rfid": False})
        other = self.env["arthexis.node"].create({"name": "Depot"})
        Charger.create({"charge_point_id": "CP-3", "node_id": other.id})
        mine.action_reject()

        listed = {c["charge_point_id"]: c for c in self.api.chargers()}

        self.assertEqual(set(listed), {"CP-1", "CP-2"})
        self.assertEqual(listed["CP-1"]["registration"], "Rejected")
        self.assertTrue(verify_password("pw", listed["CP-1"]["password_hash"]))
        self.assertEqual(
            (listed["CP-2"]["password_hash"], listed["CP-2"]["require_rfid"]), (False, False)
        )

    def test_staff_cannot_read_password_hashes_or_list_bridge_chargers(self):
        charger = self.env["ocpp.charger"].create({"charge_point_id": "CP-1", "password": "pw"})
        manager = self.env.ref("base.user_admin")
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].with_user(manager).chargers()
        user = self.env["res.users"].create(
            {
                "name": "Olga",
                "login": "olga",
                "groups_id": [(6, 0, self.env.ref("arthexis_nodes.group_charging_manager").ids)],
            }
        )
        with self.assertRaises(AccessError):
            charger.with_user(user).read(["password_hash"])
