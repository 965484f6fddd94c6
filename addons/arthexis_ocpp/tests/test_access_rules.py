from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestAccessRules(BridgeCase):
    """Staff see and operate the chargers of their companies only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Depot Charging B"})
        node_b = cls.env["arthexis.node"].create({"name": "B edge", "company_id": cls.company_b.id})
        node_b.action_generate_api_key()
        cls.api_b = cls.env["arthexis.bridge.api"].with_user(node_b.user_id)
        users = cls.env["res.users"].with_context(no_reset_password=True)
        group_user = cls.env.ref("arthexis_nodes.group_charging_user")
        group_manager = cls.env.ref("arthexis_nodes.group_charging_manager")
        cls.user_a = users.create(
            {
                "name": "Ana of A",
                "login": "ana.a",
                "company_id": cls.company_a.id,
                "company_ids": [Command.set(cls.company_a.ids)],
                "groups_id": [Command.set(group_user.ids)],
            }
        )
        cls.manager_ab = users.create(
            {
                "name": "Max of A and B",
                "login": "max.ab",
                "company_id": cls.company_a.id,
                "company_ids": [Command.set((cls.company_a | cls.company_b).ids)],
                "groups_id": [Command.set(group_manager.ids)],
            }
        )
        session = {
            "transaction_id": "1",
            "connector_id": 1,
            "id_tag": "TAG",
            "meter_start": 0,
            "timestamp": "2026-11-22T10:00:00Z",
        }
        meter = {
            "connector_id": 1,
            "transaction_id": "1",
            "samples": [{"value": "100", "timestamp": "2026-11-22T10:01:00Z"}],
        }
        for api, cp_id in ((cls.api, "CP-A"), (cls.api_b, "CP-B")):
            api.ingest(
                [
                    cls.event("boot", charger=cp_id, vendor="ABB"),
                    cls.event("status", charger=cp_id, connector_id=1, status="Charging"),
                    cls.event("transaction_started", charger=cp_id, **session),
                    cls.event("meter_values", charger=cp_id, **meter),
                ]
            )

    def visible(self, user, model, companies=None):
        env = self.env(user=user)
        if companies:
            env = env(context={"allowed_company_ids": companies.ids})
        return set(env[model].search([]).mapped("charger_id.charge_point_id"))

    def test_chargers_belong_to_their_bridges_company(self):
        self.assertEqual(self.charger("CP-A").company_id, self.company_a)
        self.assertEqual(self.charger("CP-B").company_id, self.company_b)

    def test_a_user_of_one_company_sees_only_its_chargers_sessions_and_readings(self):
        charger_ids = set(
            self.env(user=self.user_a)["ocpp.charger"].search([]).mapped("charge_point_id")
        )
        self.assertEqual(charger_ids & {"CP-A", "CP-B"}, {"CP-A"})
        for model in ("ocpp.connector", "ocpp.transaction", "ocpp.meter.value", "ocpp.event"):
            with self.subTest(model=model):
                self.assertEqual(self.visible(self.user_a, model) & {"CP-A", "CP-B"}, {"CP-A"})
        with self.assertRaises(AccessError):
            self.charger("CP-B").with_user(self.user_a).read(["vendor"])

    def test_a_manager_of_both_companies_sees_both_when_both_are_selected(self):
        both = self.company_a | self.company_b
        self.assertEqual(
            self.visible(self.manager_ab, "ocpp.transaction", both) & {"CP-A", "CP-B"},
            {"CP-A", "CP-B"},
        )
        self.assertEqual(
            self.visible(self.manager_ab, "ocpp.transaction", self.company_b) & {"CP-A", "CP-B"},
            {"CP-B"},
        )

    def test_users_operate_chargers_but_only_managers_add_or_remove_them(self):
        charger = self.charger("CP-A").with_user(self.user_a)
        charger.name = "Garage left"
        self.assertEqual(charger.display_name, "Garage left")
        with self.assertRaises(AccessError):
            self.env["ocpp.charger"].with_user(self.user_a).create({"charge_point_id": "CP-NEW"})
        with self.assertRaises(AccessError):
            charger.unlink()
        with self.assertRaises(AccessError):
            self.env["ocpp.transaction"].search([]).with_user(self.user_a).write({"id_tag": "X"})

        manager = self.env(user=self.manager_ab)["ocpp.charger"]
        created = manager.create({"charge_point_id": "CP-NEW"})
        created.unlink()
        self.assertFalse(created.exists())
