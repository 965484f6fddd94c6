from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .command_common import CommandCase


@tagged("post_install", "-at_install")
class TestCommandAnswers(CommandCase):
    """Each answer changes what staff see in Odoo."""

    def test_get_configuration_fills_the_charger_keys(self):
        command = self.queue("GetConfiguration", {}, user=self.user)
        self.answer(
            command,
            {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
                    {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                ],
                "unknownKey": [],
            },
        )
        keys = {k.key: k for k in self.cp.config_key_ids}
        self.assertEqual(keys["HeartbeatInterval"].value, "60")
        self.assertTrue(keys["NumberOfConnectors"].readonly)
        self.assertTrue(keys["HeartbeatInterval"].last_read)
        # Read again: keys are updated, not duplicated.
        again = self.queue("GetConfiguration", {})
        self.answer(again, {"configurationKey": [{"key": "HeartbeatInterval", "value": "90"}]})
        self.assertEqual(len(self.cp.config_key_ids), 2)
        self.assertEqual(keys["HeartbeatInterval"].value, "90")

    def test_edited_keys_are_sent_and_each_shows_the_chargers_answer(self):
        self.answer(
            self.queue("GetConfiguration", {}),
            {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "value": "60"},
                    {"key": "MeterValueSampleInterval", "value": "30"},
                    {"key": "WebSocketPingInterval", "value": "0"},
                ]
            },
        )
        keys = {k.key: k for k in self.cp.config_key_ids}
        charger = self.cp.with_user(self.manager)
        with self.assertRaisesRegex(UserError, "new value"):
            charger.action_send_configuration()
        keys["HeartbeatInterval"].with_user(self.manager).new_value = "300"
        keys["MeterValueSampleInterval"].with_user(self.manager).new_value = "10"
        keys["WebSocketPingInterval"].with_user(self.manager).new_value = "5"
        charger.action_send_configuration()
        sent = self.cp.command_ids.filtered(lambda c: c.action == "ChangeConfiguration")
        self.assertEqual(len(sent), 3)
        answers = {
            "HeartbeatInterval": "Accepted",
            "MeterValueSampleInterval": "RebootRequired",
            "WebSocketPingInterval": "NotSupported",
        }
        for command in sent:
            self.answer(command, {"status": answers[command.payload["key"]]})
        self.assertEqual(
            (keys["HeartbeatInterval"].value, keys["HeartbeatInterval"].last_change_status),
            ("300", "Accepted"),
        )
        self.assertEqual(keys["MeterValueSampleInterval"].value, "10")
        self.assertEqual(keys["MeterValueSampleInterval"].last_change_status, "RebootRequired")
        self.assertEqual(keys["WebSocketPingInterval"].value, "0", "not taken: value unchanged")
        self.assertEqual(keys["WebSocketPingInterval"].last_change_status, "NotSupported")
        self.assertEqual(
            self.cp.command_ids.filtered(lambda c: c.action == "ChangeConfiguration")
            .mapped("state")
            .count("rejected"),
            1,
        )

    def test_remote_stop_from_the_active_session(self):
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    transaction_id="41",
                    connector_id=1,
                    id_tag="04A2B3C4",
                    meter_start=0,
                    timestamp="2026-11-22T10:00:00Z",
                )
            ]
        )
        session = self.cp.transaction_ids
        session.with_user(self.user).action_remote_stop()
        command = self.cp.command_ids.filtered(lambda c: c.action == "RemoteStopTransaction")
        self.assertEqual(command.payload, {"transactionId": 41})
        self.assertEqual(command.transaction_id, session)
        self.answer(command, {"status": "Accepted"})
        self.assertEqual(command.state, "accepted")

    def test_unlock_from_the_connector(self):
        self.connector(1).with_user(self.user).action_unlock()
        command = self.cp.command_ids
        self.assertEqual((command.action, command.payload), ("UnlockConnector", {"connectorId": 1}))
        self.answer(command, {"status": "Unlocked"})
        self.assertEqual(command.state, "accepted")

    def test_wizard_builds_the_payload_staff_chose(self):
        Wizard = self.env["ocpp.command.wizard"].with_user(self.user)
        wizard = Wizard.create(
            {
                "charger_id": self.cp.id,
                "action": "RemoteStartTransaction",
                "partner_id": self.driver.id,
                "connector_id": self.connector(2).id,
            }
        )
        wizard._onchange_partner_id()
        self.assertEqual(wizard.rfid_id, self.card, "the customer's allowed card is picked")
        wizard.action_send()
        command = self.cp.command_ids
        self.assertEqual(command.payload, {"idTag": "04A2B3C4", "connectorId": 2})
        self.card.allowed = False
        wizard = Wizard.create(
            {"charger_id": self.cp.id, "action": "RemoteStartTransaction", "rfid_id": self.card.id}
        )
        with self.assertRaisesRegex(Exception, "may not charge"):
            wizard.action_send()

    def test_data_transfer_and_composite_schedule_answers_are_shown(self):
        command = self.queue("DataTransfer", {"vendorId": "ABB", "messageId": "ping"})
        self.answer(command, {"status": "Accepted", "data": "pong"})
        self.assertIn('"pong"', command.response_text)
        schedule = self.queue("GetCompositeSchedule", {"connectorId": 1, "duration": 600})
        self.answer(
            schedule,
            {
                "status": "Accepted",
                "connectorId": 1,
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
                },
            },
        )
        self.assertIn('"limit": 10.0', schedule.response_text)

    def test_charging_profile_goes_out_as_ocpp_wants_it(self):
        profile = self.env["ocpp.charging.profile"].create(
            {
                "name": "Night 16 A",
                "purpose": "ChargePointMaxProfile",
                "kind": "Recurring",
                "recurrency": "Daily",
                "start_schedule": "2026-12-01 22:00:00",
                "period_ids": [
                    (0, 0, {"start_period": 0, "limit": 16}),
                    (0, 0, {"start_period": 3600, "limit": 32, "number_phases": 3}),
                ],
            }
        )
        wizard = (
            self.env["ocpp.command.wizard"]
            .with_user(self.manager)
            .create(
                {"charger_id": self.cp.id, "action": "SetChargingProfile", "profile_id": profile.id}
            )
        )
        wizard.action_send()
        command = self.cp.command_ids
        self.assertEqual(command.payload["connectorId"], 0)
        sent = command.payload["csChargingProfiles"]
        self.assertEqual(sent["recurrencyKind"], "Daily")
        self.assertEqual(
            sent["chargingSchedule"]["chargingSchedulePeriod"],
            [
                {"startPeriod": 0, "limit": 16.0},
                {"startPeriod": 3600, "limit": 32.0, "numberPhases": 3},
            ],
        )
        self.answer(command, {"status": "Accepted"})
        self.assertEqual(command.state, "accepted")

    def test_a_profile_without_periods_is_refused(self):
        with self.assertRaisesRegex(Exception, "at least one period"):
            self.env["ocpp.charging.profile"].create({"name": "Empty"})

    def test_site_power_limit_reaches_the_bridge(self):
        self.assertFalse(self.api.power_settings()["site_limit"])
        self.node.write({"site_limit": 63, "site_limit_unit": "A"})
        self.assertEqual(
            self.api.power_settings(),
            {"site_limit": 63.0, "unit": "A", "phases": 3, "voltage": 230.0},
        )

    def test_firmware_statuses_make_a_timeline_per_charger(self):
        firmware = self.env["ocpp.firmware"].create(
            {"name": "Terra 1.8.3", "file": "RklSTVdBUkU=", "filename": "terra.bin"}
        )
        wizard = (
            self.env["ocpp.command.wizard"]
            .with_user(self.manager)
            .create(
                {"charger_id": self.cp.id, "action": "UpdateFirmware", "firmware_id": firmware.id}
            )
        )
        wizard.action_send()
        command = self.cp.command_ids
        self.assertIn("/ocpp/firmware/", command.payload["location"])
        self.answer(command, {})
        self.api.ingest(
            [
                self.event("firmware_status", at="2026-11-22T10:01:00.000Z", status="Downloading"),
                self.event("firmware_status", at="2026-11-22T10:02:00.000Z", status="Installed"),
                self.event("diagnostics_status", at="2026-11-22T10:03:00.000Z", status="Uploaded"),
            ]
        )
        timeline = self.cp.transfer_status_ids.filtered(lambda s: s.kind == "firmware")
        self.assertEqual(
            timeline.sorted("id").mapped("status"), ["Requested", "Downloading", "Installed"]
        )
        self.assertEqual(timeline.firmware_id, firmware)
        self.assertEqual(self.cp.firmware_status, "Installed")
        diagnostics = self.cp.transfer_status_ids.filtered(lambda s: s.kind == "diagnostics")
        self.assertEqual(diagnostics.status, "Uploaded")

    def test_diagnostics_request_is_a_step_with_the_file_name_the_charger_gives(self):
        command = self.queue("GetDiagnostics", {"retries": 1}, user=self.user)
        self.answer(command, {"fileName": "diag-CP-1.zip"})
        step = self.cp.transfer_status_ids
        self.assertEqual(
            (step.kind, step.status, step.detail), ("diagnostics", "Requested", "diag-CP-1.zip")
        )
        refused = self.queue("GetDiagnostics", {})
        self.answer(refused, {"error_code": "NotSupported"}, status="failed")
        self.assertEqual(len(self.cp.transfer_status_ids), 1, "no step for a failed request")

    def test_availability_and_profile_changes_are_noted_on_the_charger(self):
        before = self.cp.message_ids

        def notes():
            return [m.preview for m in (self.cp.message_ids - before).sorted("id")]

        self.answer(
            self.queue("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}),
            {"status": "Scheduled"},
        )
        self.answer(
            self.queue("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}),
            {"status": "Rejected"},
        )
        profile = self.env["ocpp.charging.profile"].create(
            {"name": "Day 16 A", "period_ids": [(0, 0, {"start_period": 0, "limit": 16})]}
        )
        self.answer(
            self.queue(
                "SetChargingProfile",
                {"connectorId": 0, "csChargingProfiles": profile._ocpp_payload()},
                profile_id=profile.id,
            ),
            {"status": "Accepted"},
        )
        self.answer(self.queue("ClearChargingProfile", {"id": profile.id}), {"status": "Accepted"})
        self.answer(self.queue("ClearChargingProfile", {}), {"status": "Unknown"})
        name = self.manager.name
        self.assertEqual(
            notes(),
            [
                f"Connector 2 set Inoperative by {name} (Scheduled).",
                f"Charging profile Day 16 A (TxDefaultProfile) set on connector 0 by {name}.",
                f"Charging profiles cleared (id {profile.id}) by {name}.",
            ],
            "a refused change is not noted",
        )

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api_commands", "odoo.sql_db")
    def test_an_answer_that_cannot_be_applied_fails_its_command_only(self):
        """A charger's answer is its own JSON: nothing in it may stop the bridge from
        reporting the other answers (it would send the same batch for ever)."""
        odd = [
            {"configurationKey": [{"key": "HeartbeatInterval", "value": "6\x000"}]},
            {"configurationKey": [{"key": ["not", "text"], "value": float("inf")}]},
            {"configurationKey": "not a list", "status": float("nan")},
        ]
        commands = [self.queue("GetConfiguration", {}) for _answer in odd]
        good = self.queue("ClearCache", {})
        results = [
            {"id": command.id, "status": "accepted", "response": response}
            for command, response in zip(commands, odd, strict=True)
        ]
        results.append({"id": good.id, "status": "accepted", "response": {"status": "Accepted"}})
        self.assertEqual(self.api.command_results(results), [r["id"] for r in results])
        for command in commands:
            command.invalidate_recordset()
            self.assertIn(command.state, ("accepted", "rejected", "failed"))
            self.assertTrue(command.answered_at)
        self.assertEqual(commands[0].state, "failed")
        self.assertIn("could not be applied", commands[0].error)
        self.assertEqual(good.state, "accepted")
