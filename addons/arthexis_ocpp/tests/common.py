import uuid

from odoo.tests import TransactionCase


class BridgeCase(TransactionCase):
    """A node with its API-only bridge user, and helpers to build bridge events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node = cls.env["arthexis.node"].create({"name": "Garage edge"})
        cls.node.action_generate_api_key()
        cls.bridge = cls.node.user_id
        cls.api = cls.env["arthexis.bridge.api"].with_user(cls.bridge)

    @staticmethod
    def event(kind, charger="CP-1", at="2026-11-22T10:00:00.000Z", **data):
        return {
            "id": uuid.uuid4().hex,
            "charger": charger,
            "kind": kind,
            "at": at,
            "protocol": "ocpp1.6",
            "data": data,
        }

    def charger(self, cp_id="CP-1"):
        return self.env["ocpp.charger"].search([("charge_point_id", "=", cp_id)])
