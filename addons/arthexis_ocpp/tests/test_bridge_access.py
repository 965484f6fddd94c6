from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestBridgeAccess(BridgeCase):
    def test_staff_cannot_call_the_bridge_api(self):
        manager = self.env.ref("base.user_admin")
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].with_user(manager).ingest([self.event("heartbeat")])
        self.assertFalse(self.charger())

    def test_bridge_user_reads_and_writes_nothing_directly(self):
        self.api.ingest([self.event("boot", vendor="ABB")])
        for model in (
            "ocpp.charger",
            "ocpp.connector",
            "ocpp.event",
            "arthexis.node",
            "res.partner",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.bridge).search([])
        with self.assertRaises(AccessError):
            self.env["ocpp.charger"].with_user(self.bridge).create({"charge_point_id": "X"})

    def test_malformed_batch_is_refused_with_a_readable_message(self):
        with self.assertRaisesRegex(ValidationError, "list of events"):
            self.api.ingest({"id": "not-a-list"})
        with self.assertRaisesRegex(ValidationError, "string 'id'"):
            self.api.ingest([{"kind": "heartbeat", "charger": "CP-1"}])
