from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BridgeCase


def sample(value, measurand="Energy.Active.Import.Register", unit="Wh", **extra):
    return {
        "timestamp": extra.pop("timestamp", "2026-11-22T10:05:00Z"),
        "value": str(value),
        "measurand": measurand,
        "unit": unit,
        "context": "Sample.Periodic",
        "location": "Outlet",
        "format": "Raw",
        **extra,
    }


ACCEPTED = {"status": "Accepted", "source": "cache"}


@tagged("post_install", "-at_install")
class TestSessionIngest(BridgeCase):
    def start(self, transaction_id="101", **data):
        values = {
            "transaction_id": transaction_id,
            "connector_id": 1,
            "id_tag": "04A2B3C4",
            "meter_start": 1000,
            "timestamp": "2026-11-22T10:00:00Z",
            "decision": ACCEPTED,
            **data,
        }
        return self.event("transaction_started", **values)

    def session(self, transaction_id="101"):
        return self.env["ocpp.transaction"].search([("transaction_id", "=", transaction_id)])

    def test_a_whole_session_from_start_to_stop_with_meter_values(self):
        self.api.ingest(
            [
                self.start(),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="101",
                    samples=[sample(3500), sample(7200, "Power.Active.Import", "W")],
                ),
            ]
        )
        session = self.session()
        self.assertEqual(session.state, "active")
        self.assertEqual(
            (session.connector_id.connector_number, session.id_tag, session.auth_source),
            (1, "04A2B3C4", "cache"),
        )
        self.assertEqual((session.meter_last, session.power_w), (3500, 7200))
        self.assertAlmostEqual(session.energy_kwh, 2.5, msg="live energy from the register")

        self.api.ingest(
            [
                self.event(
                    "transaction_stopped",
                    transaction_id="101",
                    meter_stop=13345,
                    timestamp="2026-11-22T11:00:00Z",
                    reason="EVDisconnected",
                    samples=[
                        sample(13345, timestamp="2026-11-22T11:00:00Z", context="Transaction.End")
                    ],
                )
            ]
        )
        self.assertEqual(session.state, "completed")
        self.assertEqual(session.stop_reason, "EVDisconnected")
        self.assertAlmostEqual(session.energy_kwh, 12.345)
        self.assertAlmostEqual(session.duration_hours, 1.0)
        self.assertEqual(len(session.meter_value_ids), 3)
        self.assertEqual(session.meter_value_ids.mapped("charger_id"), self.charger())

    def test_energy_register_in_kwh_is_counted_in_wh(self):
        self.api.ingest(
            [
                self.start(meter_start=0),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="101",
                    samples=[sample("1.5", unit="kWh")],
                ),
            ]
        )
        self.assertAlmostEqual(self.session().energy_kwh, 1.5)

    def test_per_phase_values_are_stored_but_do_not_make_the_total(self):
        self.api.ingest(
            [
                self.start(meter_start=0),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="101",
                    samples=[
                        sample(2000),
                        sample(900, phase="L1"),
                        sample(16, "Current.Import", "A", phase="L1"),
                    ],
                ),
            ]
        )
        session = self.session()
        self.assertEqual(session.meter_last, 2000)
        self.assertEqual(len(session.meter_value_ids), 3)

    def test_a_repeated_start_is_the_same_session(self):
        first = self.start()
        again = self.start()  # a new event id: the charger sent StartTransaction twice
        self.api.ingest([first])
        self.api.ingest([again])
        self.assertEqual(len(self.session()), 1)

    def test_a_reused_transaction_id_never_merges_into_the_old_session(self):
        self.api.ingest(
            [
                self.start(),
                self.event(
                    "transaction_stopped",
                    transaction_id="101",
                    meter_stop=6000,
                    timestamp="2026-11-22T11:00:00Z",
                ),
            ]
        )
        old = self.session()
        # The bridge lost its data directory and counts from 1 again, up to 101.
        with mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api"):
            self.api.ingest(
                [
                    self.start(meter_start=9000, timestamp="2026-11-23T08:00:00Z"),
                    self.event(
                        "meter_values",
                        connector_id=1,
                        transaction_id="101",
                        samples=[sample(9500, timestamp="2026-11-23T08:10:00Z")],
                    ),
                ]
            )
        new = self.session()
        self.assertNotEqual(new, old)
        self.assertEqual((new.state, new.meter_start, new.meter_last), ("active", 9000, 9500))
        self.assertEqual(
            (old.state, old.meter_start, old.meter_stop, len(old.meter_value_ids)),
            ("completed", 1000, 6000, 0),
            "the old session keeps what it had",
        )
        self.assertEqual(old.transaction_id, f"101/old-{old.id}")

    def test_transaction_floor_is_the_highest_id_of_the_bridges_node(self):
        self.assertEqual(self.api.transaction_floor(), 0)
        self.api.ingest([self.start("7"), self.start("12", connector_id=2), self.start("9")])
        other = self.env["arthexis.node"].create({"name": "Other edge"})
        self.env["ocpp.transaction"].create(
            {"charger_id": self.charger().id, "transaction_id": "500", "node_id": other.id}
        )
        self.assertEqual(self.api.transaction_floor(), 12, "only this node's sessions count")
        with self.assertRaises(AccessError):
            self.env["arthexis.bridge.api"].transaction_floor()

    def test_stop_for_an_unknown_transaction_is_kept_as_an_anomalous_session(self):
        self.api.ingest(
            [
                self.event(
                    "transaction_stopped",
                    transaction_id="999",
                    meter_stop=5000,
                    timestamp="2026-11-22T11:00:00Z",
                    id_tag="04A2B3C4",
                    anomaly={"code": "unknown_transaction", "detail": "no such transaction"},
                )
            ]
        )
        session = self.session("999")
        self.assertEqual((session.state, session.anomaly), ("anomalous", "unknown_transaction"))
        self.assertEqual(session.meter_stop, 5000)
        self.assertIn(session, self.env["ocpp.transaction"].search([("anomaly", "!=", False)]))

    def test_meter_going_backwards_makes_the_session_anomalous(self):
        self.api.ingest(
            [
                self.start(meter_start=5000),
                self.event(
                    "transaction_stopped",
                    transaction_id="101",
                    meter_stop=4000,
                    timestamp="2026-11-22T11:00:00Z",
                ),
            ]
        )
        session = self.session()
        self.assertEqual((session.state, session.anomaly), ("anomalous", "meter_backwards"))
        self.assertEqual(session.energy_kwh, 0)

    def test_offline_acceptance_is_flagged_and_the_completed_session_stays_anomalous(self):
        self.api.ingest(
            [
                self.start(
                    decision={"status": "Accepted", "source": "policy"},
                    anomaly={"code": "offline_accept", "detail": "unknown tag accepted offline"},
                ),
                self.event(
                    "transaction_stopped",
                    transaction_id="101",
                    meter_stop=2000,
                    timestamp="2026-11-22T11:00:00Z",
                ),
            ]
        )
        session = self.session()
        self.assertEqual((session.auth_source, session.anomaly), ("policy", "offline_accept"))
        self.assertEqual(session.state, "anomalous")

    def test_same_transaction_id_on_two_chargers_is_two_sessions(self):
        self.api.ingest([self.start(), self.start(charger="CP-2")])
        self.assertEqual(len(self.session()), 2)

    def test_firmware_and_diagnostics_status_land_on_the_charger(self):
        self.api.ingest(
            [
                self.event("firmware_status", status="Installing"),
                self.event("diagnostics_status", status="Uploaded"),
                self.event("authorize", id_tag="04A2B3C4", decision=ACCEPTED),
                self.event(
                    "data_transfer", vendor_id="com.acme", data="{}", status="UnknownVendorId"
                ),
            ]
        )
        charger = self.charger()
        self.assertEqual(
            (charger.firmware_status, charger.diagnostics_status), ("Installing", "Uploaded")
        )
        events = self.env["ocpp.event"].search([("charger_id", "=", charger.id)])
        self.assertEqual(set(events.mapped("state")), {"done"})

    def test_redelivered_meter_values_are_stored_once(self):
        meter = self.event(
            "meter_values", connector_id=1, transaction_id="101", samples=[sample(1500)]
        )
        self.api.ingest([self.start(), meter])
        self.api.ingest([meter])
        self.assertEqual(len(self.session().meter_value_ids), 1)

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api")  # logged on purpose
    def test_malformed_meter_event_is_kept_with_its_error_and_the_rest_of_the_batch_lands(self):
        broken = self.event(
            "meter_values", connector_id=1, transaction_id="101", samples=[{"unit": "Wh"}]
        )
        good = self.event(
            "meter_values", connector_id=1, transaction_id="101", samples=[sample(1800)]
        )
        self.api.ingest([self.start(), broken, good])

        ledger = self.env["ocpp.event"].search([("uid", "=", broken["id"])])
        self.assertEqual(ledger.state, "error")
        self.assertEqual(ledger.payload["data"]["samples"], [{"unit": "Wh"}], "kept as sent")
        self.assertEqual(self.session().meter_value_ids.mapped("value"), [1800])

    def test_meter_values_from_a_charger_never_seen_create_it_and_keep_the_samples(self):
        self.api.ingest(
            [self.event("meter_values", charger="CP-NEW", connector_id=2, samples=[sample(10)])]
        )
        values = self.env["ocpp.meter.value"].search(
            [("charger_id.charge_point_id", "=", "CP-NEW")]
        )
        self.assertEqual(
            (len(values), values.connector_number, values.transaction_id.id), (1, 2, False)
        )
        self.assertTrue(self.charger("CP-NEW").last_seen)

    def test_power_chart_shows_only_this_sessions_whole_meter_power(self):
        self.api.ingest(
            [
                self.start(),
                self.start(transaction_id="102", connector_id=2),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="101",
                    samples=[
                        sample(3600, "Power.Active.Import", "W"),
                        sample(1200, "Power.Active.Import", "W", phase="L1"),
                        sample(1500),
                    ],
                ),
                self.event(
                    "meter_values",
                    connector_id=2,
                    transaction_id="102",
                    samples=[sample(7000, "Power.Active.Import", "W")],
                ),
            ]
        )
        action = self.session().action_power_chart()
        points = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(points.mapped("value"), [3600])
        self.assertEqual(action["views"][0][1], "graph")

    def test_a_session_knows_its_card_and_customer_for_energy_by_customer(self):
        driver = self.env["res.partner"].create({"name": "Dana Driver"})
        card = self.env["arthexis.rfid"].create({"uid": "04A2B3C4", "partner_id": driver.id})
        self.api.ingest(
            [
                self.start(id_tag="04a2b3c4"),
                self.event(
                    "transaction_stopped",
                    transaction_id="101",
                    meter_stop=6000,
                    timestamp="2026-11-22T11:00:00Z",
                ),
            ]
        )
        session = self.session()
        self.assertEqual((session.rfid_id, session.partner_id), (card, driver))
        [group] = self.env["ocpp.transaction"].read_group(
            [("partner_id", "=", driver.id)], ["energy_kwh:sum"], ["partner_id"]
        )
        self.assertAlmostEqual(group["energy_kwh"], 5.0)

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api", "odoo.sql_db")
    def test_values_the_database_refuses_are_kept_as_errors_and_block_nothing(self):
        """A charger may send numbers its schema allows but a column cannot hold
        (connectorId 3000000000): that event is kept with its error, confirmed, and the
        rest of the batch, in every ingestion path, is applied."""
        huge = 3_000_000_000
        batch = [
            self.start(connector_id=huge),  # one event at a time
            self.start(transaction_id="102"),
            self.event("status", connector_id=huge, status="Available", error_code="NoError"),
            self.event("status", connector_id=2, status="Available", error_code="NoError"),
            self.event(
                "meter_values", connector_id=huge, transaction_id="102", samples=[sample(1500)]
            ),
            self.event(
                "meter_values", connector_id=1, transaction_id="102", samples=[sample(2500)]
            ),
        ]
        self.assertEqual(self.api.ingest(batch), [e["id"] for e in batch])
        ledger = self.env["ocpp.event"].search([("uid", "in", [e["id"] for e in batch])])
        state = {e.uid: e.state for e in ledger}
        self.assertEqual(
            [state[e["id"]] for e in batch], ["error", "done", "error", "done", "error", "done"]
        )
        self.assertIn("out of range", ledger.filtered(lambda e: e.uid == batch[2]["id"]).error)
        self.assertFalse(self.session("101"))
        self.assertEqual(self.session("102").meter_last, 2500)
        self.assertEqual(self.charger().connector_ids.mapped("connector_number"), [1, 2])

    def test_values_that_are_not_readings_never_become_the_sessions_totals(self):
        """Eichrecht chargers send each register twice, Raw and SignedData; a broken
        meter may send NaN or 1e400. Only finite raw numbers make the live totals."""
        self.api.ingest(
            [
                self.start(),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="101",
                    samples=[
                        sample(2500),
                        sample(7200, "Power.Active.Import", "W"),
                        sample('OCMF|{"RD":[{"RV":2.5}]}|{"SD":"30450221"}', format="SignedData"),
                        sample("12345678", format="SignedData"),
                    ],
                ),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="101",
                    samples=[
                        sample("1e400", timestamp="2026-11-22T10:06:00Z"),
                        sample("NaN", "Power.Active.Import", "W", timestamp="2026-11-22T10:06:00Z"),
                    ],
                ),
            ]
        )
        session = self.session()
        self.assertEqual((session.meter_last, session.power_w), (2500, 7200))
        self.assertAlmostEqual(session.energy_kwh, 1.5)
        signed = session.meter_value_ids.filtered(lambda v: v.raw_value.startswith("OCMF"))
        self.assertTrue(signed, "the signed reading is kept as sent")
