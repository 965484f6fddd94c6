from odoo import Command
from odoo.tests import TransactionCase


class ChargingUsersCase(TransactionCase):
    """A charging user and a charging manager of the main company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.user = users.create(
            {
                "name": "Olga Operator",
                "login": "olga.operator",
                "groups_id": [Command.set(cls.env.ref("arthexis_nodes.group_charging_user").ids)],
            }
        )
        cls.manager = users.create(
            {
                "name": "Mario Manager",
                "login": "mario.manager",
                "groups_id": [
                    Command.set(cls.env.ref("arthexis_nodes.group_charging_manager").ids)
                ],
            }
        )


class BridgeNodesCase(ChargingUsersCase):
    """Two nodes, each with its own bridge user, as Generate API key makes them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Node = cls.env["arthexis.node"]
        cls.node = Node.create({"name": "Garage edge"})
        cls.other = Node.create({"name": "Depot edge"})
        cls.bridge, _key = cls.node._issue_api_key()
        cls.other_bridge, _key = cls.other._issue_api_key()
