from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestBridgeAuthorization(BridgeCase):
    def card(self, uid, **values):
        return self.env["arthexis.rfid"].create({"uid": uid, **values})

    def test_a_bridge_first_gets_every_card_then_only_what_changed(self):
        ok = self.card("04000001")
        blocked = self.card("04000002", allowed=False)
        gone = self.card("04000003", active=False)

        full = self.api.auth_list(0)
        self.assertTrue(full["full"])
        listed = {e["id_tag"]: e["status"] for e in full["entries"]}
        self.assertEqual(listed, {"04000001": "Accepted", "04000002": "Blocked"})
        self.assertNotIn(gone.uid, listed, "a full list leaves archived cards out")

        self.assertEqual(self.api.auth_list(full["version"])["entries"], [], "nothing changed")
        ok.allowed = False
        blocked.action_archive()
        delta = self.api.auth_list(full["version"])
        self.assertFalse(delta["full"])
        self.assertEqual(
            {e["id_tag"]: e["status"] for e in delta["entries"]},
            {"04000001": "Blocked", "04000002": "Invalid"},
        )
        self.assertGreater(delta["version"], full["version"])

    def test_a_bridge_sees_only_its_companys_cards(self):
        other = self.env["res.company"].create({"name": "Other operator"})
        self.card("04000001")
        self.card("04000009", company_id=other.id)
        listed = [e["id_tag"] for e in self.api.auth_list(0)["entries"]]
        self.assertIn("04000001", listed)
        self.assertNotIn("04000009", listed)
        self.assertEqual(self.api.authorize("04000009")["status"], "Invalid")

    def test_online_authorization_answers_as_the_policy_says(self):
        self.card("04A2B3C4", parent_id=self.card("0A0B0C0D").id)
        answer = self.api.authorize("04a2b3c4")
        self.assertEqual((answer["status"], answer["parent_id_tag"]), ("Accepted", "0A0B0C0D"))
        self.assertEqual(self.api.authorize("DEADBEEF")["status"], "Invalid")

    def test_staff_cannot_read_the_list_as_a_bridge(self):
        admin = self.env.ref("base.user_admin")
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].with_user(admin).auth_list(0)
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].with_user(admin).authorize("04000001")
