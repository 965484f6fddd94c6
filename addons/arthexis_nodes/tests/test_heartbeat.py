from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import BridgeNodesCase


@tagged("post_install", "-at_install")
class TestHeartbeat(BridgeNodesCase):
    HEALTH = {
        "version": "0.4.0",
        "hostname": "garage-edge",
        "addresses": ["192.168.1.20", "fd00::20"],
        "connected_chargers": 3,
        "outbox_depth": 12,
        "sync_lag_seconds": 4.5,
    }

    def test_heartbeat_records_last_seen_and_health_on_the_callers_node(self):
        Node = self.env["arthexis.node"].with_user(self.bridge)
        answer = Node.bridge_heartbeat(self.HEALTH)

        self.assertEqual(answer["node_id"], self.node.id)
        self.assertTrue(self.node.last_seen)
        self.assertTrue(self.node.is_online)
        self.assertEqual(self.node.software_version, "0.4.0")
        self.assertEqual(self.node.hostname, "garage-edge")
        self.assertEqual(self.node._address_list(), ["192.168.1.20", "fd00::20"])
        self.assertEqual(
            (self.node.connected_chargers, self.node.outbox_depth, self.node.sync_lag_seconds),
            (3, 12, 4.5),
        )
        self.assertFalse(self.other.last_seen, "the other node is untouched")
        self.assertFalse(self.other.connected_chargers)

    def test_a_bridge_user_cannot_read_or_write_nodes_directly(self):
        with self.assertRaises(AccessError):
            self.other.with_user(self.bridge).write({"connected_chargers": 99})
        with self.assertRaises(AccessError):
            self.other.with_user(self.bridge).read(["name"])
        self.assertEqual(self.other.connected_chargers, 0)

    def test_staff_cannot_send_heartbeats(self):
        with self.assertRaises(AccessError):
            self.env["arthexis.node"].with_user(self.manager).bridge_heartbeat({})

    def test_bad_health_figures_are_refused_and_change_nothing(self):
        Node = self.env["arthexis.node"].with_user(self.bridge)
        with self.assertRaisesRegex(ValidationError, "outbox_depth must be a number"):
            Node.bridge_heartbeat({"outbox_depth": "lots"})
        with self.assertRaisesRegex(ValidationError, "0 or more"):
            Node.bridge_heartbeat({"connected_chargers": -1})
        self.assertFalse(self.node.last_seen)

    def test_each_bridge_heartbeats_its_own_node_only(self):
        # No node id is passed: a bridge cannot name another node at all.
        Node = self.env["arthexis.node"].with_user(self.other_bridge)
        self.assertEqual(Node.bridge_heartbeat({})["node_id"], self.other.id)
        self.assertFalse(self.node.last_seen)
