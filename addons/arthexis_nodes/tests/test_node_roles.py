from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import ChargingUsersCase


@tagged("post_install", "-at_install")
class TestNodeRoles(ChargingUsersCase):
    def codes(self, node):
        return set(node.feature_ids.mapped("code"))

    def test_each_role_gets_its_default_features_on_create(self):
        Node = self.env["arthexis.node"]
        self.assertEqual(self.codes(Node.create({"name": "T", "role": "terminal"})), {"gui-toast"})
        self.assertEqual(
            self.codes(Node.create({"name": "C", "role": "control"})),
            {
                "rfid-scanner",
                "lcd-screen",
                "nginx-server",
                "queue-worker",
                "public-wifi",
                "gui-toast",
            },
        )
        self.assertEqual(
            self.codes(Node.create({"name": "S", "role": "satellite"})),
            {"rfid-scanner", "nginx-server", "queue-worker", "ap-router"},
        )
        self.assertEqual(
            self.codes(Node.create({"name": "W", "role": "watchtower"})),
            {"nginx-server", "queue-worker"},
        )

    def test_features_given_on_create_are_kept(self):
        lcd = self.env.ref("arthexis_nodes.feature_lcd_screen")
        node = self.env["arthexis.node"].create(
            {"name": "S", "role": "satellite", "feature_ids": [(6, 0, lcd.ids)]}
        )
        self.assertEqual(node.feature_ids, lcd)

    def test_changing_the_role_in_the_form_sets_that_roles_defaults(self):
        with Form(self.env["arthexis.node"].with_user(self.manager)) as form:
            form.name = "Kiosk"
            form.role = "watchtower"
            shown = {form.feature_ids[i].code for i in range(len(form.feature_ids))}
            self.assertEqual(shown, {"nginx-server", "queue-worker"})
            form.role = "terminal"
            shown = {form.feature_ids[i].code for i in range(len(form.feature_ids))}
            self.assertEqual(shown, {"gui-toast"})
        node = form.record
        self.assertEqual(self.codes(node), {"gui-toast"})

    def test_role_defaults_follow_the_feature_data(self):
        lcd = self.env.ref("arthexis_nodes.feature_lcd_screen")
        lcd.default_watchtower = True
        node = self.env["arthexis.node"].create({"name": "W", "role": "watchtower"})
        self.assertIn("lcd-screen", self.codes(node))

    def test_bad_addresses_and_ports_are_refused_with_readable_messages(self):
        Node = self.env["arthexis.node"]
        with self.assertRaisesRegex(ValidationError, "not an IP address"):
            Node.create({"name": "E", "addresses": "10.0.0.1, edge.local"})
        with self.assertRaisesRegex(ValidationError, "from 1 to 65535"):
            Node.create({"name": "E", "port": 70000})
        node = Node.create({"name": "E", "addresses": "10.0.0.1, fd00::1"})
        self.assertEqual(node._address_list(), ["10.0.0.1", "fd00::1"])


@tagged("post_install", "-at_install")
class TestNodeOffline(ChargingUsersCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("arthexis_nodes.offline_after_minutes", "15")
        now = fields.Datetime.now()
        Node = self.env["arthexis.node"]
        self.fresh = Node.create({"name": "Fresh", "last_seen": now - timedelta(minutes=2)})
        self.stale = Node.create({"name": "Stale", "last_seen": now - timedelta(minutes=40)})
        self.never = Node.create({"name": "Never"})

    def test_a_node_not_seen_within_the_delay_is_offline(self):
        self.assertTrue(self.fresh.is_online)
        self.assertFalse(self.stale.is_online)
        self.assertFalse(self.never.is_online)

    def test_the_offline_filter_finds_stale_and_never_seen_nodes(self):
        nodes = self.fresh | self.stale | self.never
        offline = self.env["arthexis.node"].search(
            [("id", "in", nodes.ids), ("is_online", "=", False)]
        )
        self.assertEqual(offline, self.stale | self.never)
        online = self.env["arthexis.node"].search(
            [("id", "in", nodes.ids), ("is_online", "=", True)]
        )
        self.assertEqual(online, self.fresh)

    def test_the_delay_is_a_setting(self):
        settings = self.env["res.config.settings"].create(
            {"arthexis_node_offline_after_minutes": 60}
        )
        settings.execute()
        self.stale.invalidate_recordset(["is_online"])
        self.assertTrue(self.stale.is_online)
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            self.env["res.config.settings"].create({"arthexis_node_offline_after_minutes": 0})
