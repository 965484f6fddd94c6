from odoo.tests import tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestNodeChargers(BridgeCase):
    def test_a_node_lists_the_chargers_its_bridge_serves(self):
        boot = self.event("boot", charger="CP-NODE", vendor="Arthexis", model="AC")
        self.api.ingest([boot])
        other = self.env["arthexis.node"].create({"name": "Depot edge"})

        self.assertEqual(self.node.charger_ids, self.charger("CP-NODE"))
        self.assertEqual(self.node.charger_count, 1)
        self.assertFalse(other.charger_ids)
        self.assertEqual(other.charger_count, 0)
