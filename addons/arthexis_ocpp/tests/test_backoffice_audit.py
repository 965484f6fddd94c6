from odoo import Command
from odoo.tests import tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestBackOfficeGrouping(BridgeCase):
    """Group-bys staff asked for: chargers by site, sessions by kind of anomaly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Olga",
                    "login": "olga.audit",
                    "groups_id": [
                        Command.set(cls.env.ref("arthexis_nodes.group_charging_user").ids)
                    ],
                }
            )
        )

    def search_arch(self, model):
        return (
            self.env[model]
            .with_user(self.user)
            .get_views([(False, "search")])["views"]["search"]["arch"]
        )

    def test_the_dashboard_groups_chargers_by_site(self):
        self.assertIn('name="group_location"', self.search_arch("ocpp.charger"))
        Partner = self.env["res.partner"]
        garage, depot = Partner.create([{"name": "Garage"}, {"name": "Depot"}])
        Charger = self.env["ocpp.charger"]
        Charger.create(
            [
                {"charge_point_id": "CP-G1", "address_id": garage.id},
                {"charge_point_id": "CP-G2", "address_id": garage.id},
                {"charge_point_id": "CP-D1", "address_id": depot.id},
            ]
        )
        groups = Charger.with_user(self.user)._read_group(
            [("charge_point_id", "like", "CP-")], ["address_id"], ["__count"]
        )
        self.assertEqual({site.name: count for site, count in groups}, {"Garage": 2, "Depot": 1})

    def test_sessions_group_by_kind_of_anomaly(self):
        self.assertIn('name="group_anomaly"', self.search_arch("ocpp.transaction"))
        start = {
            "connector_id": 1,
            "id_tag": "04A2B3C4",
            "meter_start": 9000,
            "timestamp": "2026-11-22T10:00:00Z",
        }
        self.api.ingest(
            [
                self.event(
                    "transaction_stopped",
                    transaction_id="1",
                    meter_stop=5000,
                    timestamp="2026-11-22T11:00:00Z",
                    anomaly={"code": "unknown_transaction", "detail": "no such transaction"},
                ),
                self.event("transaction_started", transaction_id="2", **start),
                self.event(
                    "transaction_stopped",
                    transaction_id="2",
                    meter_stop=100,
                    timestamp="2026-11-22T11:00:00Z",
                ),
                self.event("transaction_started", transaction_id="3", **start),
            ]
        )
        groups = (
            self.env["ocpp.transaction"]
            .with_user(self.user)
            ._read_group([], ["anomaly"], ["__count"])
        )
        self.assertEqual(dict(groups), {"unknown_transaction": 1, "meter_backwards": 1, False: 1})
