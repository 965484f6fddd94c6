from odoo.tests import tagged

from .command_common import CommandCase


@tagged("post_install", "-at_install")
class TestLocalList(CommandCase):
    """The charger's local authorization list follows the cards, version by version."""

    def sent_lists(self):
        return self.cp.command_ids.filtered(lambda c: c.action == "SendLocalList").sorted("id")

    def test_full_list_then_differential_after_a_card_change(self):
        other = self.env["arthexis.rfid"].create({"uid": "0A0B0C0D", "allowed": False})
        self.cp.local_list_sync = True
        self.env["ocpp.charger"]._cron_sync_local_lists()
        full = self.sent_lists()
        self.assertEqual(full.payload["updateType"], "Full")
        entries = {
            e["idTag"]: e["idTagInfo"]["status"] for e in full.payload["localAuthorizationList"]
        }
        self.assertEqual(entries["04A2B3C4"], "Accepted")
        self.assertEqual(entries["0A0B0C0D"], "Blocked")
        # No second update while the first is on its way.
        self.env["ocpp.charger"]._cron_sync_local_lists()
        self.assertEqual(len(self.sent_lists()), 1)
        self.answer(full, {"status": "Accepted"})
        self.assertEqual(self.cp.local_list_version, full.payload["listVersion"])
        # Nothing changed: nothing sent.
        self.env["ocpp.charger"]._cron_sync_local_lists()
        self.assertEqual(len(self.sent_lists()), 1)
        # One card blocked, one archived: a differential update with just those.
        self.card.allowed = False
        other.active = False
        self.env["ocpp.charger"]._cron_sync_local_lists()
        diff = self.sent_lists()[-1]
        self.assertEqual(diff.payload["updateType"], "Differential")
        self.assertGreater(diff.payload["listVersion"], full.payload["listVersion"])
        self.assertEqual(
            diff.payload["localAuthorizationList"],
            [
                {"idTag": "04A2B3C4", "idTagInfo": {"status": "Blocked"}},
                {"idTag": "0A0B0C0D"},
            ],
        )
        self.answer(diff, {"status": "Accepted"})
        self.assertEqual(self.cp.local_list_version, diff.payload["listVersion"])

    def test_version_mismatch_leads_to_a_full_list(self):
        self.cp.with_user(self.manager).action_send_local_list()
        self.answer(self.sent_lists(), {"status": "Accepted"})
        version = self.cp.local_list_version
        check = self.queue("GetLocalListVersion", {}, user=self.user)
        self.answer(check, {"listVersion": version})
        self.assertEqual(self.cp.local_list_version, version, "in step: kept")
        check = self.queue("GetLocalListVersion", {})
        self.answer(check, {"listVersion": 0})
        self.assertEqual(self.cp.local_list_reported_version, 0)
        self.assertEqual(self.cp.local_list_version, 0)
        self.cp.with_user(self.manager).action_send_local_list()
        self.assertEqual(self.sent_lists()[-1].payload["updateType"], "Full")

    def test_a_refused_update_is_retried_in_full(self):
        self.cp.with_user(self.manager).action_send_local_list()
        self.answer(self.sent_lists(), {"status": "VersionMismatch"})
        self.assertEqual(self.sent_lists().state, "rejected")
        self.assertEqual(self.cp.local_list_status, "VersionMismatch")
        self.card.label = "renamed, not an authorization change"
        self.cp.with_user(self.manager).action_send_local_list()
        self.assertEqual(self.sent_lists()[-1].payload["updateType"], "Full")
