import uuid
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestMessageLog(BridgeCase):
    def frame(self, text, direction="in", charger="CP-1", at="2026-11-22T10:00:00.000Z"):
        return {
            "id": uuid.uuid4().hex,
            "charger": charger,
            "at": at,
            "direction": direction,
            "frame": text,
        }

    def logged(self, charger="CP-1"):
        return self.env["ocpp.message.log"].search([("charge_point_id", "=", charger)], order="id")

    def test_frames_are_logged_both_ways_with_their_action(self):
        self.api.ingest([self.event("boot", vendor="ABB")])
        frames = [
            self.frame('[2,"19","Heartbeat",{}]'),
            self.frame('[3,"19",{"currentTime":"2026-11-22T10:00:00Z"}]', "out"),
            self.frame('[4,"20","FormationViolation","bad",{}]', "out"),
            self.frame("not json at all"),
        ]
        self.assertEqual(self.api.log_frames(frames), [f["id"] for f in frames])

        log = self.logged()
        self.assertEqual(
            log.mapped("action"),
            ["Heartbeat", "(result)", "(error: FormationViolation)", "(not JSON)"],
        )
        self.assertEqual(log.mapped("direction"), ["in", "out", "out", "in"])
        self.assertEqual(log[0].message_id, "19")
        self.assertEqual(set(log.mapped("charger_id")), {self.charger()})

    def test_a_frame_with_a_nul_character_is_logged_with_u_fffd(self):
        frame = self.frame('[2,"1","Heartbeat",{}]\x00\x00')
        self.assertEqual(self.api.log_frames([frame]), [frame["id"]])
        self.assertEqual(self.logged().frame, '[2,"1","Heartbeat",{}]\ufffd\ufffd')

    def test_redelivered_frames_are_logged_once(self):
        frame = self.frame('[2,"1","Heartbeat",{}]')
        self.api.log_frames([frame])
        self.assertEqual(self.api.log_frames([frame, frame]), [frame["id"]] * 2)
        self.assertEqual(len(self.logged()), 1)

    def test_frames_never_create_chargers(self):
        self.api.log_frames([self.frame('[2,"1","BootNotification",{}]', charger="CP-NEW")])
        self.assertFalse(self.charger("CP-NEW"))
        self.assertEqual(len(self.logged("CP-NEW")), 1)

    def test_only_bridges_log_frames(self):
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].with_user(self.env.ref("base.user_admin")).log_frames(
                []
            )

    def test_malformed_batch_is_refused_with_a_readable_message(self):
        with self.assertRaisesRegex(ValidationError, "list of frames"):
            self.api.log_frames([{"frame": "x"}])

    def test_pruning_keeps_the_log_within_its_age_and_count(self):
        params = self.env["ir.config_parameter"]
        params.set_param("arthexis_ocpp.message_log_days", "7")
        params.set_param("arthexis_ocpp.message_log_per_charger", "3")
        now = fields.Datetime.now()
        stamp = lambda delta: (now - delta).isoformat() + "Z"  # noqa: E731
        old = self.frame('[2,"0","Heartbeat",{}]', at=stamp(timedelta(days=8)))
        recent = [
            self.frame(f'[2,"{n}","Heartbeat",{{}}]', at=stamp(timedelta(minutes=10 - n)))
            for n in range(5)
        ]
        other = self.frame('[2,"9","Heartbeat",{}]', charger="CP-2", at=stamp(timedelta(days=1)))
        self.api.log_frames([old, *recent, other])

        self.env["ocpp.message.log"]._cron_prune()

        self.assertEqual(self.logged().mapped("message_id"), ["2", "3", "4"], "the 3 newest stay")
        self.assertEqual(len(self.logged("CP-2")), 1)

    def test_charger_form_opens_its_own_messages(self):
        self.api.ingest([self.event("boot")])
        self.api.log_frames([self.frame('[2,"1","Heartbeat",{}]'), self.frame("x", charger="CP-2")])
        action = self.charger().action_message_log()
        self.assertEqual(self.env["ocpp.message.log"].search(action["domain"]), self.logged())

    def test_settings_refuse_limits_below_one(self):
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            self.env["res.config.settings"].create({"arthexis_message_log_days": 0})
