from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestCardScanned(BridgeCase):
    """A card held to a node's own reader in staff mode lands on the node's form."""

    def scan(self, uid, at="2026-11-22T10:00:00.000Z", **data):
        event = self.event("card_scanned", charger="", at=at, uid=uid, **data)
        event["protocol"] = ""
        self.assertEqual(self.api.ingest([event]), [event["id"]])
        return self.env["ocpp.event"].search([("uid", "=", event["id"])])

    def test_a_scanned_card_is_recorded_on_the_node_that_read_it(self):
        ledger = self.scan("04a2b3c4")
        self.assertEqual(self.node.last_scanned_uid, "04A2B3C4")
        self.assertEqual(str(self.node.last_scanned_at), "2026-11-22 10:00:00")
        self.assertEqual(ledger.state, "done")
        self.assertEqual(ledger.node_id, self.node)
        self.assertEqual(ledger.company_id, self.node.company_id)
        self.assertFalse(ledger.charger_id)
        self.assertFalse(self.env["ocpp.charger"].search([("charge_point_id", "=", "")]))

    def test_a_kiosk_tap_shows_what_the_charger_was_asked_and_said(self):
        decision = {"status": "Accepted", "source": "cache"}
        kiosk = {"charger": "CP-K", "connector": 1, "action": "RemoteStartTransaction"}
        self.scan("04A2B3C4", decision=decision, kiosk={**kiosk, "status": "Rejected"})
        self.assertEqual(
            self.node.last_scan_result, "Accepted; RemoteStartTransaction on CP-K: Rejected"
        )
        blocked = {"status": "Blocked", "source": "cache"}
        self.scan(
            "0A0B0C0D",
            at="2026-11-22T10:01:00.000Z",
            decision=blocked,
            kiosk={**kiosk, "action": None, "status": "Blocked"},
        )
        self.assertEqual(self.node.last_scan_result, "Blocked; nothing sent to CP-K")
        self.scan(
            "0A0B0C0E",
            at="2026-11-22T10:02:00.000Z",
            decision=decision,
            kiosk={**kiosk, "action": None, "status": "ChargerOffline"},
        )
        self.assertEqual(self.node.last_scan_result, "Accepted; CP-K was offline: nothing sent")

    def test_a_late_scan_does_not_hide_a_newer_one(self):
        self.scan("04A2B3C4", at="2026-11-22T10:05:00.000Z")
        self.scan("0A0B0C0D", at="2026-11-22T10:00:00.000Z")
        self.assertEqual(self.node.last_scanned_uid, "04A2B3C4")

    def test_staff_create_the_scanned_card_then_open_it(self):
        self.scan("04A2B3C4D5E6F7")
        self.assertFalse(self.node.last_scanned_card_id)
        action = self.node.action_open_scanned_card()
        self.assertEqual(action["res_model"], "arthexis.rfid")
        self.assertNotIn("res_id", action)
        card = (
            self.env["arthexis.rfid"]
            .with_context(**action["context"])
            .create({"label": "Visitor 7"})
        )
        self.assertEqual(card.uid, "04A2B3C4D5E6F7")
        self.assertEqual(card.company_id, self.node.company_id)
        self.node.invalidate_recordset(["last_scanned_card_id"])
        self.assertEqual(self.node.last_scanned_card_id, card)
        self.assertEqual(self.node.action_open_scanned_card()["res_id"], card.id)

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api")
    def test_a_scan_that_is_not_a_card_uid_is_kept_as_an_error(self):
        ledger = self.scan("hello")
        self.assertEqual(ledger.state, "error")
        self.assertIn("is not a card UID", ledger.error)
        self.assertFalse(self.node.last_scanned_uid)
