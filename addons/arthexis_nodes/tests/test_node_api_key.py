from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ChargingUsersCase


@tagged("post_install", "-at_install")
class TestNodeApiKey(ChargingUsersCase):
    def _generate(self, node, user):
        action = node.with_user(user).action_generate_api_key()
        return self.env["arthexis.node.api.key"].browse(action["res_id"])

    def test_manager_gets_a_key_that_logs_in_as_the_nodes_api_only_user(self):
        node = self.env["arthexis.node"].create({"name": "Garage edge"})
        wizard = self._generate(node, self.manager)

        self.assertTrue(node.user_id, "the node got its own bridge user")
        self.assertEqual(wizard.login, node.user_id.login)
        uid = self.env["res.users.apikeys"]._check_credentials(scope="rpc", key=wizard.key)
        self.assertEqual(uid, node.user_id.id)

    def test_bridge_user_is_not_staff(self):
        node = self.env["arthexis.node"].create({"name": "Garage edge"})
        self._generate(node, self.manager)
        bridge = node.user_id

        self.assertTrue(bridge.has_group("arthexis_nodes.group_bridge"))
        self.assertFalse(bridge.has_group("base.group_user"))
        self.assertFalse(bridge.has_group("arthexis_nodes.group_charging_user"))
        self.assertTrue(bridge.share)

    def test_second_key_reuses_the_bridge_user_and_both_keys_work(self):
        node = self.env["arthexis.node"].create({"name": "Garage edge"})
        first = self._generate(node, self.manager)
        bridge = node.user_id
        second = self._generate(node, self.manager)

        self.assertEqual(node.user_id, bridge)
        self.assertNotEqual(first.key, second.key)
        check = self.env["res.users.apikeys"]._check_credentials
        self.assertEqual(check(scope="rpc", key=first.key), bridge.id)
        self.assertEqual(check(scope="rpc", key=second.key), bridge.id)

    def test_charging_user_cannot_generate_a_key(self):
        node = self.env["arthexis.node"].create({"name": "Garage edge"})
        with self.assertRaises(AccessError):
            node.with_user(self.user).action_generate_api_key()
        self.assertFalse(node.user_id)

    def test_bridge_resolves_its_own_node(self):
        node = self.env["arthexis.node"].create({"name": "Garage edge"})
        self._generate(node, self.manager)
        other = self.env["arthexis.node"].create({"name": "Depot edge"})
        self._generate(other, self.manager)

        nodes = self.env["arthexis.node"]
        self.assertEqual(nodes.with_user(node.user_id)._for_current_bridge(), node)
        self.assertEqual(nodes.with_user(other.user_id)._for_current_bridge(), other)
        self.assertFalse(nodes.with_user(self.manager)._for_current_bridge())
