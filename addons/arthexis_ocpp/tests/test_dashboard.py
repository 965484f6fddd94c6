import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import BridgeCase
from .test_session_ingest import sample


@tagged("post_install", "-at_install")
class TestDashboard(BridgeCase):
    def test_a_charger_not_heard_from_within_the_delay_shows_offline(self):
        self.env["ir.config_parameter"].set_param("arthexis_ocpp.offline_after_minutes", "10")
        now = fields.Datetime.now()
        Charger = self.env["ocpp.charger"]
        fresh = Charger.create({"charge_point_id": "CP-1", "last_seen": now - timedelta(minutes=2)})
        stale = Charger.create(
            {"charge_point_id": "CP-2", "last_seen": now - timedelta(minutes=30)}
        )
        never = Charger.create({"charge_point_id": "CP-3"})

        self.assertEqual((fresh.is_online, stale.is_online, never.is_online), (True, False, False))
        ours = [("id", "in", (fresh | stale | never).ids)]
        self.assertEqual(Charger.search([*ours, ("is_online", "=", False)]), stale | never)
        self.assertEqual(Charger.search([*ours, ("is_online", "=", True)]), fresh)

    def test_cards_show_each_connector_and_the_live_session(self):
        self.api.ingest(
            [
                self.event("status", connector_id=1, status="Charging"),
                self.event("status", connector_id=2, status="Faulted", error_code="GroundFailure"),
                self.event(
                    "transaction_started",
                    transaction_id="7",
                    connector_id=1,
                    id_tag="04A2B3C4",
                    meter_start=1000,
                    timestamp="2026-11-22T10:00:00Z",
                ),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="7",
                    samples=[sample(4500), sample(11000, "Power.Active.Import", "W")],
                ),
            ]
        )
        charger = self.charger()
        self.assertIn("text-bg-primary", charger.connector_badges)
        self.assertIn('title="Faulted"', charger.connector_badges)
        self.assertAlmostEqual(charger.active_power_kw, 11.0)
        self.assertAlmostEqual(charger.active_energy_kwh, 3.5)

    def test_ingest_tells_open_dashboards_to_reload(self):
        Bus = self.env["bus.bus"].sudo()
        last = Bus.search([], order="id desc", limit=1).id or 0
        self.api.ingest([self.event("heartbeat")])
        self.env.cr.precommit.run()  # bus notifications are written when the RPC commits
        sent = Bus.search([("id", ">", last)])
        self.assertIn("arthexis_ocpp/chargers_changed", "".join(sent.mapped("message")))
        group = self.env.ref("arthexis_nodes.group_charging_user")
        channels = [json.loads(channel) for channel in sent.mapped("channel")]
        self.assertIn([self.env.cr.dbname, "res.groups", group.id], channels)
