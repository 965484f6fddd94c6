from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestSecurityEvents(BridgeCase):
    def security_event(self, event_type, timestamp="2026-11-22T09:59:58.000Z", **data):
        return self.event("security_event", type=event_type, timestamp=timestamp, **data)

    def test_a_security_event_is_listed_on_its_charger(self):
        event = self.security_event("InvalidMessages", tech_info="3 frames refused")
        self.assertEqual(self.api.ingest([event]), [event["id"]])
        charger = self.charger()
        [recorded] = charger.security_event_ids
        self.assertEqual(recorded.event_type, "InvalidMessages")
        self.assertEqual(recorded.tech_info, "3 frames refused")
        self.assertEqual(str(recorded.timestamp), "2026-11-22 09:59:58")
        self.assertEqual(str(recorded.received_at), "2026-11-22 10:00:00")
        self.assertFalse(recorded.critical)
        self.assertEqual(recorded.company_id, charger.company_id)
        ledger = self.env["ocpp.event"].search([("uid", "=", event["id"])])
        self.assertEqual(ledger.state, "done")

    def test_a_critical_event_is_posted_on_the_charger_chatter_and_others_are_not(self):
        self.api.ingest([self.event("boot", vendor="ABB")])
        charger = self.charger()
        before = len(charger.message_ids)
        self.api.ingest(
            [
                self.security_event("TamperDetectionActivated", tech_info="lid <open>"),
                self.security_event("FailedToAuthenticateAtCentralSystem"),
            ]
        )
        critical = charger.security_event_ids.filtered("critical")
        self.assertEqual(critical.event_type, "TamperDetectionActivated")
        posted = charger.message_ids[: len(charger.message_ids) - before]
        self.assertEqual(len(posted), 1, "only the critical one is posted")
        self.assertIn("Critical security event: TamperDetectionActivated", posted.body)
        self.assertIn("lid &lt;open&gt;", posted.body, "the charger's text is escaped")

    def test_every_critical_type_of_the_whitepaper_is_critical(self):
        critical = {
            "FirmwareUpdated",
            "SettingSystemTime",
            "StartupOfTheDevice",
            "ResetOrReboot",
            "SecurityLogWasCleared",
            "MemoryExhaustion",
            "TamperDetectionActivated",
        }
        others = {"InvalidTLSVersion", "AttemptedReplayAttacks", "VendorSpecificThing"}
        self.api.ingest([self.security_event(name) for name in critical | others])
        events = self.charger().security_event_ids
        self.assertEqual(set(events.filtered("critical").mapped("event_type")), critical)
        self.assertEqual(len(events), 10, "an unknown type is kept too, as not critical")

    def test_a_redelivered_security_event_is_recorded_once(self):
        event = self.security_event("ResetOrReboot")
        self.api.ingest([event])
        self.api.ingest([event])
        charger = self.charger()
        self.assertEqual(len(charger.security_event_ids), 1)
        posts = charger.message_ids.filtered(lambda m: "ResetOrReboot" in (m.body or ""))
        self.assertEqual(len(posts), 1)

    def test_a_security_event_without_type_is_kept_as_an_error(self):
        event = self.event("security_event", timestamp="2026-11-22T10:00:00Z")
        with mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api"):
            self.assertEqual(self.api.ingest([event]), [event["id"]])
        ledger = self.env["ocpp.event"].search([("uid", "=", event["id"])])
        self.assertEqual(ledger.state, "error")
        self.assertIn("security event type None", ledger.error)
        self.assertFalse(self.charger().security_event_ids)

    def test_staff_see_the_security_events_of_their_companies_only(self):
        company_b = self.env["res.company"].create({"name": "Depot Charging B"})
        self.api.ingest([self.security_event("InvalidMessages", charger="CP-A")])
        self.api.ingest([self.security_event("InvalidMessages", charger="CP-B")])
        self.charger("CP-B").company_id = company_b
        user = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Ana of A",
                    "login": "ana.sec",
                    "company_ids": [Command.set(self.env.company.ids)],
                    "groups_id": [
                        Command.set(self.env.ref("arthexis_nodes.group_charging_user").ids)
                    ],
                }
            )
        )
        seen = self.env["ocpp.security.event"].with_user(user).search([])
        self.assertEqual(seen.charger_id.mapped("charge_point_id"), ["CP-A"])


@tagged("post_install", "-at_install")
class TestChargerFormEvents(BridgeCase):
    def test_the_charger_form_shows_boot_firmware_diagnostics_and_security_events(self):
        user = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Olga",
                    "login": "olga.form",
                    "groups_id": [
                        Command.set(self.env.ref("arthexis_nodes.group_charging_user").ids)
                    ],
                }
            )
        )
        self.api.ingest(
            [
                self.event("boot", vendor="ABB", firmware_version="1.2"),
                self.event("firmware_status", status="Installed"),
                self.event("diagnostics_status", status="Uploaded"),
                self.event(
                    "security_event", type="FirmwareUpdated", timestamp="2026-11-22T10:00:00Z"
                ),
            ]
        )
        Charger = self.env["ocpp.charger"].with_user(user)
        arch = Charger.get_views([(False, "form")])["views"]["form"]["arch"]
        for name in (
            "last_boot",
            "firmware_version",
            "firmware_status",
            "firmware_status_at",
            "diagnostics_status",
            "diagnostics_status_at",
            "security_event_ids",
        ):
            self.assertIn(f'name="{name}"', arch)
        [values] = Charger.browse(self.charger().id).read(
            ["last_boot", "firmware_status", "diagnostics_status", "security_event_ids"]
        )
        self.assertTrue(values["last_boot"])
        self.assertEqual(
            (values["firmware_status"], values["diagnostics_status"]), ("Installed", "Uploaded")
        )
        self.assertEqual(len(values["security_event_ids"]), 1)
