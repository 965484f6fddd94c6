from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ChargingUsersCase


@tagged("post_install", "-at_install")
class TestNodeValidation(ChargingUsersCase):
    def test_hostname_with_spaces_is_refused_with_a_readable_message(self):
        with self.assertRaisesRegex(ValidationError, "without spaces or slashes"):
            self.env["arthexis.node"].create({"name": "Edge", "hostname": "edge 01"})

    def test_plain_hostname_is_accepted_and_role_defaults_to_satellite(self):
        node = self.env["arthexis.node"].create({"name": "Edge", "hostname": "edge-01.example.com"})
        self.assertEqual(node.role, "satellite")

    def test_charging_user_reads_nodes_but_cannot_change_them(self):
        node = self.env["arthexis.node"].create({"name": "Edge"})
        self.assertEqual(node.with_user(self.user).name, "Edge")
        with self.assertRaises(AccessError):
            node.with_user(self.user).write({"name": "Renamed"})
