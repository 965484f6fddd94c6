from odoo.addons.arthexis_nodes.tests.common import ChargingUsersCase

from .common import BridgeCase


class CommandCase(BridgeCase, ChargingUsersCase):
    """A charger served by the test node, two available connectors, staff and a card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api.ingest(
            [
                cls.event("boot", vendor="ABB", model="Terra"),
                cls.event("status", connector_id=1, status="Available"),
                cls.event("status", connector_id=2, status="Available"),
            ]
        )
        cls.cp = cls.env["ocpp.charger"].search([("charge_point_id", "=", "CP-1")])
        cls.driver = cls.env["res.partner"].create({"name": "Dana Driver"})
        cls.card = cls.env["arthexis.rfid"].create(
            {"uid": "04A2B3C4", "label": "Dana", "partner_id": cls.driver.id}
        )

    def connector(self, number):
        return self.cp.connector_ids.filtered(lambda c: c.connector_number == number)

    def queue(self, action, payload, user=None, **values):
        Command_ = self.env["ocpp.command"].with_user(user or self.manager)
        return Command_.create(
            {"charger_id": self.cp.id, "action": action, "payload": payload, **values}
        )

    def answer(self, command, response, status="accepted"):
        """What the bridge reports once the charger answered."""
        settled = self.api.command_results(
            [{"id": command.id, "status": status, "response": response}]
        )
        self.assertEqual(settled, [command.id])
        command.invalidate_recordset()
        return command
