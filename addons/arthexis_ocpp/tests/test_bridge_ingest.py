from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestBridgeIngest(BridgeCase):
    def test_boot_creates_the_charger_with_its_vendor_data_on_the_calling_node(self):
        boot = self.event(
            "boot",
            vendor="ABB",
            model="Terra AC",
            serial_number="SN-42",
            firmware_version="1.8.3",
        )
        self.assertEqual(self.api.ingest([boot]), [boot["id"]])

        charger = self.charger()
        self.assertEqual(
            (charger.vendor, charger.model, charger.serial_number, charger.firmware_version),
            ("ABB", "Terra AC", "SN-42", "1.8.3"),
        )
        self.assertEqual(charger.node_id, self.node)
        self.assertEqual(charger.protocol, "ocpp1.6")
        self.assertEqual(str(charger.last_boot), "2026-11-22 10:00:00")
        self.assertTrue(self.node.last_seen)

    def test_redelivered_event_is_confirmed_and_changes_nothing(self):
        first = self.event("boot", vendor="ABB", firmware_version="1.0")
        second = self.event("boot", at="2026-11-22T11:00:00Z", vendor="ABB", firmware_version="2.0")
        self.api.ingest([first])
        self.api.ingest([second])

        self.assertEqual(self.api.ingest([first]), [first["id"]])
        self.assertEqual(self.charger().firmware_version, "2.0")
        events = self.env["ocpp.event"].search([("uid", "in", [first["id"], second["id"]])])
        self.assertEqual(len(events), 2)

    def test_duplicate_inside_one_batch_is_applied_once(self):
        beat = self.event("heartbeat")
        self.assertEqual(self.api.ingest([beat, beat]), [beat["id"], beat["id"]])
        self.assertEqual(self.env["ocpp.event"].search_count([("uid", "=", beat["id"])]), 1)

    def test_heartbeat_sets_last_heartbeat_and_a_late_older_one_does_not_move_it_back(self):
        self.api.ingest([self.event("heartbeat", at="2026-11-22T10:05:00Z")])
        self.api.ingest([self.event("heartbeat", at="2026-11-22T10:00:00Z")])
        self.assertEqual(str(self.charger().last_heartbeat), "2026-11-22 10:05:00")

    def test_status_creates_connectors_with_status_and_error_code(self):
        self.api.ingest(
            [
                self.event("status", connector_id=1, status="Available", error_code="NoError"),
                self.event(
                    "status",
                    connector_id=2,
                    status="Faulted",
                    error_code="GroundFailure",
                    vendor_error_code="E17",
                    timestamp="2026-11-22T09:59:58+01:00",
                ),
            ]
        )
        charger = self.charger()
        one, two = charger.connector_ids.sorted("connector_number")
        self.assertEqual(
            (one.connector_number, one.status, one.error_code), (1, "Available", "NoError")
        )
        self.assertEqual(
            (two.status, two.error_code, two.vendor_error_code), ("Faulted", "GroundFailure", "E17")
        )
        self.assertEqual(str(two.status_at), "2026-11-22 08:59:58", "charger time kept, in UTC")
        self.assertEqual(charger.status, "Faulted", "a fault speaks for the whole charger")
        self.assertEqual(charger.connector_count, 2)

    def test_newer_status_replaces_the_old_one_but_a_late_older_report_does_not(self):
        self.api.ingest(
            [self.event("status", at="2026-11-22T10:00:00Z", connector_id=1, status="Preparing")]
        )
        self.api.ingest(
            [self.event("status", at="2026-11-22T10:01:00Z", connector_id=1, status="Charging")]
        )
        self.api.ingest(
            [self.event("status", at="2026-11-22T09:00:00Z", connector_id=1, status="Available")]
        )
        connector = self.charger().connector_ids
        self.assertEqual(connector.status, "Charging")
        self.assertEqual(self.charger().status, "Charging")

    @mute_logger(
        "odoo.addons.arthexis_ocpp.models.arthexis_bridge_api"
    )  # the refusal is logged on purpose
    def test_event_that_cannot_be_applied_is_kept_with_its_error_and_does_not_block_the_batch(self):
        bad_status = self.event("status", connector_id=1, status="Exploded")
        unknown = self.event("teleport")
        good = self.event("heartbeat", charger="CP-2")

        confirmed = self.api.ingest([bad_status, unknown, good])

        self.assertEqual(confirmed, [bad_status["id"], unknown["id"], good["id"]])
        Event = self.env["ocpp.event"]
        errors = Event.search([("uid", "in", [bad_status["id"], unknown["id"]])])
        self.assertEqual(set(errors.mapped("state")), {"error"})
        self.assertIn("teleport", Event.search([("uid", "=", unknown["id"])]).error)
        self.assertFalse(self.charger().connector_ids, "the bad status created no connector")
        self.assertTrue(self.charger("CP-2").last_heartbeat)
        self.assertEqual(
            Event.search([("uid", "=", bad_status["id"])]).payload["data"]["status"], "Exploded"
        )

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api", "odoo.sql_db")
    def test_a_nul_character_fails_only_its_own_event(self):
        """JSON clients may send a NUL in a string (the bridge's XML-RPC cannot: it
        sends U+FFFD); PostgreSQL text refuses it. That event is kept as an error."""
        status = self.event(
            "status", connector_id=1, status="Faulted", error_code="OtherError", info="E\x0017"
        )
        boot = self.event("boot", charger="CP-2", vendor="AB\x00B", model="Terra")
        good = self.event("heartbeat", charger="CP-3")
        batch = [status, boot, good]

        self.assertEqual(self.api.ingest(batch), [e["id"] for e in batch])

        ledger = self.env["ocpp.event"].search([("uid", "in", [e["id"] for e in batch])])
        state = {event.uid: event.state for event in ledger}
        self.assertEqual([state[e["id"]] for e in batch], ["error", "error", "done"])
        self.assertIn("NUL", ledger.filtered(lambda e: e.uid == status["id"]).error)
        self.assertEqual(
            ledger.filtered(lambda e: e.uid == boot["id"]).payload["data"]["vendor"], "AB\ufffdB"
        )
        self.assertTrue(self.charger("CP-3").last_heartbeat)

    def test_a_charger_moving_to_another_node_follows_its_bridge(self):
        self.api.ingest([self.event("boot", vendor="ABB")])
        depot = self.env["arthexis.node"].create({"name": "Depot edge"})
        depot.action_generate_api_key()
        self.env["arthexis.bridge.api"].with_user(depot.user_id).ingest([self.event("heartbeat")])
        self.assertEqual(self.charger().node_id, depot)
