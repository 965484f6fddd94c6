from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .command_common import CommandCase

PROFILE = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
    },
}

# action: (a payload a charger would take, a wrong one, what the message names)
PAYLOADS = {
    "RemoteStartTransaction": (
        {"idTag": "04A2B3C4", "connectorId": 1},
        {"idTag": "04A2B3C4", "connectorId": 0},
        "connectorId",
    ),
    "RemoteStopTransaction": ({"transactionId": 7}, {"transactionId": "7"}, "transactionId"),
    "Reset": ({"type": "Hard"}, {"type": "Warm"}, "Soft, Hard"),
    "UnlockConnector": ({"connectorId": 1}, {}, "connectorId"),
    "ChangeAvailability": (
        {"connectorId": 0, "type": "Inoperative"},
        {"connectorId": 0, "type": "Off"},
        "Operative, Inoperative",
    ),
    "ClearCache": ({}, {"all": True}, "unexpected field"),
    "TriggerMessage": (
        {"requestedMessage": "StatusNotification", "connectorId": 1},
        {"requestedMessage": "StartTransaction"},
        "requestedMessage",
    ),
    "DataTransfer": ({"vendorId": "ABB", "data": "{}"}, {"vendorId": ""}, "vendorId"),
    "GetConfiguration": ({"key": ["HeartbeatInterval"]}, {"key": "HeartbeatInterval"}, "key"),
    "ChangeConfiguration": (
        {"key": "HeartbeatInterval", "value": "300"},
        {"key": "HeartbeatInterval", "value": 300},
        "value",
    ),
    "SendLocalList": (
        {
            "listVersion": 3,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "04A2B3C4", "idTagInfo": {"status": "Accepted"}}],
        },
        {
            "listVersion": 3,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "04A2B3C4"}],
        },
        "idTagInfo",
    ),
    "GetLocalListVersion": ({}, {"version": 1}, "unexpected field"),
    "ReserveNow": (
        {
            "connectorId": 1,
            "expiryDate": "2030-01-01T10:00:00Z",
            "idTag": "04A2B3C4",
            "reservationId": 9,
        },
        {"connectorId": 1, "expiryDate": "tomorrow", "idTag": "04A2B3C4", "reservationId": 9},
        "ISO 8601",
    ),
    "CancelReservation": ({"reservationId": 9}, {"reservationId": 0}, "reservationId"),
    "UpdateFirmware": (
        {"retrieveDate": "2030-01-01T10:00:00Z"},
        {"retrieveDate": "2030-01-01T10:00:00Z", "retries": -1},
        "retries",
    ),
    "GetDiagnostics": (
        {"startTime": "2030-01-01T10:00:00Z", "stopTime": "2030-01-02T10:00:00Z"},
        {"startTime": "2030-01-02T10:00:00Z", "stopTime": "2030-01-01T10:00:00Z"},
        "before stopTime",
    ),
    "SetChargingProfile": (
        {"connectorId": 1, "csChargingProfiles": PROFILE},
        {
            "connectorId": 1,
            "csChargingProfiles": {**PROFILE, "chargingProfilePurpose": "ChargePointMaxProfile"},
        },
        "connector 0 only",
    ),
    "ClearChargingProfile": (
        {"chargingProfilePurpose": "TxDefaultProfile"},
        {"chargingProfilePurpose": "Everything"},
        "chargingProfilePurpose",
    ),
    "GetCompositeSchedule": (
        {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"},
        {"connectorId": 1, "duration": 0},
        "duration",
    ),
}


@tagged("post_install", "-at_install")
class TestCommandPayloads(CommandCase):
    def test_every_action_is_covered(self):
        actions = {value for value, _label in self.env["ocpp.command"]._fields["action"].selection}
        self.assertEqual(actions, set(PAYLOADS))

    def test_good_payloads_are_queued_and_bad_ones_refused_with_the_field_named(self):
        for action, (good, bad, named) in PAYLOADS.items():
            with self.subTest(action=action):
                command = self.queue(action, good)
                self.assertEqual(command.state, "queued")
                self.assertEqual(command.node_id, self.node)
                with self.assertRaisesRegex(ValidationError, named), self.env.cr.savepoint():
                    self.queue(action, bad)

    def test_file_transfers_get_a_one_time_url(self):
        command = self.queue("GetDiagnostics", {})
        location = command.payload["location"]
        self.assertRegex(location, r"/ocpp/diagnostics/[\w-]{40,}$")
        other = self.queue("GetDiagnostics", {})
        self.assertNotEqual(other.payload["location"], location)


@tagged("post_install", "-at_install")
class TestCommandPermissions(CommandCase):
    def test_charging_users_send_everyday_commands(self):
        for action in ("RemoteStartTransaction", "UnlockConnector", "TriggerMessage"):
            with self.subTest(action=action):
                command = self.queue(action, PAYLOADS[action][0], user=self.user)
                self.assertEqual(command.requested_by_id, self.user)

    def test_only_managers_send_disruptive_commands(self):
        for action in (
            "Reset",
            "ChangeAvailability",
            "UpdateFirmware",
            "ChangeConfiguration",
            "SendLocalList",
            "SetChargingProfile",
        ):
            with self.subTest(action=action):
                with self.assertRaisesRegex(AccessError, "administrators"), self.env.cr.savepoint():
                    self.queue(action, PAYLOADS[action][0], user=self.user)
                self.assertTrue(self.queue(action, PAYLOADS[action][0], user=self.manager))

    def test_users_cannot_forge_a_charger_answer(self):
        command = self.queue("Reset", {"type": "Soft"})
        for user in (self.user, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                command.with_user(user).write({"state": "accepted"})
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].with_user(self.manager).command_results(
                [{"id": command.id, "status": "accepted", "response": {"status": "Accepted"}}]
            )

    def test_another_nodes_bridge_neither_sees_nor_answers_the_command(self):
        other = self.env["arthexis.node"].create({"name": "Other edge"})
        other.action_generate_api_key()
        api = self.env["arthexis.bridge.api"].with_user(other.user_id)
        command = self.queue("ClearCache", {})
        self.assertEqual(api.commands(), [])
        self.assertEqual(api.command_sent([command.id]), [])
        api.command_results([{"id": command.id, "status": "accepted", "response": {}}])
        self.assertEqual(command.state, "queued")


@tagged("post_install", "-at_install")
class TestCommandQueue(CommandCase):
    def test_bridge_pulls_marks_sent_and_reports(self):
        command = self.queue("Reset", {"type": "Soft"})
        pulled = self.api.commands()
        self.assertEqual(
            pulled,
            [
                {
                    "id": command.id,
                    "charger": "CP-1",
                    "action": "Reset",
                    "payload": {"type": "Soft"},
                    "expires_at": command.expires_at.isoformat() + "Z",
                }
            ],
        )
        self.assertEqual(command.state, "queued", "pulling marks nothing")
        self.assertEqual(self.api.command_sent([command.id]), [command.id])
        self.assertEqual(command.state, "sent")
        self.assertFalse(self.api.commands(), "a sent command is not handed out again")
        self.answer(command, {"status": "Accepted"})
        self.assertEqual((command.state, command.response_status), ("accepted", "Accepted"))
        self.assertTrue(command.answered_at)

    def test_a_charger_that_says_no_makes_the_command_rejected(self):
        command = self.queue("ClearCache", {})
        self.answer(command, {"status": "Rejected"})
        self.assertEqual(command.state, "rejected")
        command = self.queue("UnlockConnector", {"connectorId": 1})
        self.answer(command, {"status": "UnlockFailed"})
        self.assertEqual((command.state, command.response_status), ("rejected", "UnlockFailed"))

    def test_callerror_and_timeout_are_kept_with_their_reason(self):
        failed = self.queue("ClearCache", {})
        self.answer(
            failed,
            {"error_code": "NotImplemented", "error_description": "no cache"},
            status="failed",
        )
        self.assertEqual((failed.state, failed.error), ("failed", "no cache"))
        late = self.queue("ClearCache", {})
        self.answer(late, None, status="timed_out")
        self.assertEqual(late.state, "timed_out")

    def test_results_are_idempotent(self):
        command = self.queue("ClearCache", {})
        self.answer(command, {"status": "Accepted"})
        answered_at = command.answered_at
        self.answer(command, {"status": "Rejected"})
        self.assertEqual((command.state, command.answered_at), ("accepted", answered_at))

    def test_malformed_results_are_refused_with_a_readable_message(self):
        with self.assertRaisesRegex(ValidationError, "accepted, rejected, failed, timed_out"):
            self.api.command_results([{"id": 1, "status": "done"}])

    def test_offline_charger_gets_its_command_on_reconnect_until_it_expires(self):
        command = self.queue("TriggerMessage", {"requestedMessage": "Heartbeat"})
        # The bridge has other chargers connected, not CP-1: nothing for them.
        self.assertEqual(self.api.commands(chargers=["CP-OTHER"]), [])
        self.assertEqual(self.env["ocpp.command"].browse(command.id).state, "queued")
        # CP-1 reconnects: the command goes out.
        self.assertEqual([c["id"] for c in self.api.commands(chargers=["CP-1"])], [command.id])
        stale = self.queue("TriggerMessage", {"requestedMessage": "Heartbeat"})
        stale.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertNotIn(stale.id, [c["id"] for c in self.api.commands()])
        self.assertEqual(self.api.command_sent([stale.id]), [], "an expired command is not sent")
        self.env["ocpp.command"]._cron_expire()
        self.assertEqual(stale.state, "expired")
        self.assertEqual(command.state, "queued")

    def test_a_sent_command_never_answered_times_out(self):
        command = self.queue("ClearCache", {})
        self.api.command_sent([command.id])
        command.sudo().sent_at = fields.Datetime.now() - timedelta(minutes=11)
        self.env["ocpp.command"]._cron_expire()
        self.assertEqual(command.state, "timed_out")

    def test_staff_cancel_a_queued_command_not_a_sent_one(self):
        command = self.queue("ClearCache", {}, user=self.user)
        command.with_user(self.user).action_cancel()
        self.assertEqual(command.state, "cancelled")
        self.assertEqual(self.api.commands(), [])
        sent = self.queue("ClearCache", {})
        self.api.command_sent([sent.id])
        with self.assertRaisesRegex(UserError, "already sent"):
            sent.action_cancel()

    def test_wait_must_be_a_number_of_seconds(self):
        with self.assertRaisesRegex(ValidationError, "seconds"):
            self.api.commands(wait="soon")

    def test_the_wait_for_offline_chargers_is_a_setting(self):
        self.env["res.config.settings"].create({"arthexis_command_expiry_minutes": 5}).execute()
        command = self.queue("ClearCache", {})
        waits = (command.expires_at - command.queued_at).total_seconds()
        self.assertAlmostEqual(waits, 300, delta=5)
        with self.assertRaisesRegex(ValidationError, "at least 1"), self.env.cr.savepoint():
            self.env["res.config.settings"].create({"arthexis_command_expiry_minutes": 0})
