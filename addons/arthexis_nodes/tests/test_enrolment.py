import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

ENROL = "/arthexis/node/enrol"


@tagged("post_install", "-at_install")
class TestEnrolment(HttpCase):
    def setUp(self):
        super().setUp()
        self.node = self.env["arthexis.node"].create({"name": "Garage edge", "role": "terminal"})
        action = self.node.action_create_enrolment_token()
        self.token = self.env[action["res_model"]].browse(action["res_id"]).token

    def enrol(self, body):
        response = self.url_open(
            ENROL, data=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        return response.status_code, response.json()

    def keys(self):
        return self.env["res.users.apikeys"].sudo().search_count([])

    def test_a_valid_token_yields_the_nodes_own_api_key(self):
        status, answer = self.enrol(
            {
                "token": self.token,
                "hostname": "garage-edge",
                "port": 9100,
                "version": "0.4.0",
                "role": "satellite",
            }
        )

        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["database"], self.env.cr.dbname)
        self.assertEqual(answer["node_id"], self.node.id)
        self.assertEqual(answer["login"], self.node.user_id.login)
        uid = self.env["res.users.apikeys"]._check_credentials(scope="rpc", key=answer["api_key"])
        self.assertEqual(uid, self.node.user_id.id)
        self.assertTrue(self.node.user_id.has_group("arthexis_nodes.group_bridge"))
        self.assertFalse(self.node.user_id.has_group("base.group_user"))
        self.assertEqual(
            (self.node.hostname, self.node.port, self.node.software_version, self.node.role),
            ("garage-edge", 9100, "0.4.0", "satellite"),
        )
        self.assertIn("ap-router", self.node.feature_ids.mapped("code"))
        self.assertEqual(self.node.enrolment_ids.state, "used")
        self.assertTrue(self.node.is_online)

    @mute_logger("odoo.http")
    def test_a_used_token_is_refused_and_creates_nothing(self):
        self.assertEqual(self.enrol({"token": self.token})[0], 200)
        keys = self.keys()

        status, answer = self.enrol({"token": self.token})

        self.assertEqual(status, 403)
        self.assertIn("used already", answer["error"])
        self.assertEqual(self.keys(), keys, "no second key")

    @mute_logger("odoo.http")
    def test_a_wrong_token_is_refused_and_creates_nothing(self):
        keys = self.keys()
        status, answer = self.enrol({"token": "not-" + self.token})
        self.assertEqual(status, 403)
        self.assertIn("not valid", answer["error"])
        status, answer = self.enrol({})
        self.assertEqual(status, 403)
        self.assertIn("token is required", answer["error"])
        self.assertEqual(self.keys(), keys)
        self.assertFalse(self.node.user_id)
        self.assertEqual(self.node.enrolment_ids.state, "valid")

    @mute_logger("odoo.http")
    def test_an_expired_token_is_refused(self):
        self.node.enrolment_ids.expires_at = fields.Datetime.now() - timedelta(minutes=1)
        status, answer = self.enrol({"token": self.token})
        self.assertEqual(status, 403)
        self.assertIn("expired", answer["error"])
        self.assertFalse(self.node.user_id)

    @mute_logger("odoo.http")
    def test_a_bad_role_is_refused_and_leaves_the_token_usable(self):
        status, answer = self.enrol({"token": self.token, "role": "mothership"})
        self.assertEqual(status, 400)
        self.assertIn("Unknown role", answer["error"])
        self.assertEqual(self.node.enrolment_ids.state, "valid")
        self.assertEqual(self.enrol({"token": self.token})[0], 200)

    def test_the_token_is_shown_once_with_its_expiry_and_command(self):
        self.env["ir.config_parameter"].set_param("arthexis_nodes.enrolment_hours", "2")
        action = self.node.action_create_enrolment_token()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertIn(f"--token {wizard.token}", wizard.command)
        self.assertTrue(wizard.command.startswith("arthexis-bridge enrol --odoo-url "))
        hours = (wizard.expires_at - fields.Datetime.now()).total_seconds() / 3600
        self.assertAlmostEqual(hours, 2, delta=0.1)
        self.assertEqual(len(self.node.enrolment_ids), 2, "one row per token, both valid")

    def test_only_the_tokens_hash_is_stored(self):
        stored = self.node.enrolment_ids.sudo().token_hash
        self.assertTrue(stored)
        self.assertNotIn(self.token, stored)
        self.assertEqual(len(stored), 64)

    def test_a_charging_user_cannot_create_tokens(self):
        user = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Olga",
                    "login": "olga.enrol",
                    "groups_id": [(6, 0, self.env.ref("arthexis_nodes.group_charging_user").ids)],
                }
            )
        )
        with self.assertRaises(AccessError):
            self.node.with_user(user).action_create_enrolment_token()
