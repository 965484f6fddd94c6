"""OCPP 1.6: every accepted frame is committed to the outbox before it is answered."""

import asyncio
import re
import sqlite3
from datetime import UTC, datetime

import pytest
from ocpp.exceptions import InternalError
from websockets.asyncio.client import connect

from arthexis_bridge import auth
from arthexis_bridge.simulator import SimulatedCharger, meter_value

from .helpers import HEARTBEAT_INTERVAL, call, stored_events

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def assert_current_time(text):
    assert ISO_Z.match(text), text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 5


async def test_boot_is_accepted_with_interval_and_time_and_recorded_before_the_answer(
    bridge, url, settings
):
    async with SimulatedCharger(
        url, "CP-1", vendor="ACME", model="Volt 22", serial="SN-42", firmware="1.2.3"
    ) as charger:
        # A slow disk: another connection holds the write lock, so the commit waits.
        other = sqlite3.connect(settings.outbox_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        booting = asyncio.create_task(charger.boot())
        await asyncio.sleep(0.2)
        assert not booting.done(), "the charger was answered before its event was committed"
        other.execute("COMMIT")
        other.close()
        answer = await asyncio.wait_for(booting, 5)
        # Read the file at once: the event is committed.
        stored = stored_events(settings.outbox_path)
    assert answer.status == "Accepted"
    assert answer.interval == HEARTBEAT_INTERVAL
    assert_current_time(answer.current_time)
    [event] = stored
    assert (event["charger"], event["kind"], event["protocol"]) == ("CP-1", "boot", "ocpp1.6")
    assert event["data"] == {
        "vendor": "ACME",
        "model": "Volt 22",
        "serial_number": "SN-42",
        "firmware_version": "1.2.3",
        "registration": "Accepted",
    }


async def test_boot_records_every_field_the_charger_sends(bridge, url, settings):
    payload = {
        "chargePointVendor": "ACME",
        "chargePointModel": "Volt 22",
        "chargePointSerialNumber": "CP-SN",
        "chargeBoxSerialNumber": "BOX-SN",
        "firmwareVersion": "1.2.3",
        "iccid": "8931",
        "imsi": "2040",
        "meterType": "DZG",
        "meterSerialNumber": "M-1",
    }
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        answer = await call(websocket, "b1", "BootNotification", payload)
    assert answer[:2] == [3, "b1"]
    [event] = stored_events(settings.outbox_path)
    assert event["data"] == {
        "vendor": "ACME",
        "model": "Volt 22",
        "serial_number": "CP-SN",
        "charge_box_serial_number": "BOX-SN",
        "firmware_version": "1.2.3",
        "iccid": "8931",
        "imsi": "2040",
        "meter_type": "DZG",
        "meter_serial_number": "M-1",
        "registration": "Accepted",
    }


async def test_heartbeat_is_answered_with_current_time_and_recorded(bridge, url, settings):
    async with SimulatedCharger(url, "CP-1") as charger:
        answer = await charger.heartbeat()
        stored = stored_events(settings.outbox_path)
    assert_current_time(answer.current_time)
    [event] = stored
    assert (event["charger"], event["kind"], event["data"]) == ("CP-1", "heartbeat", {})


async def test_status_notification_is_recorded_with_connector_status_and_error_code(
    bridge, url, settings
):
    async with SimulatedCharger(url, "CP-1") as charger:
        await charger.status(2, "Faulted", "GroundFailure")
        stored = stored_events(settings.outbox_path)
    [event] = stored
    assert event["kind"] == "status"
    assert event["data"] == {"connector_id": 2, "status": "Faulted", "error_code": "GroundFailure"}


async def test_status_notification_keeps_the_optional_fields_sent(bridge, url, settings):
    payload = {
        "connectorId": 0,
        "status": "Unavailable",
        "errorCode": "OtherError",
        "info": "door open",
        "vendorId": "com.acme",
        "vendorErrorCode": "E17",
        "timestamp": "2026-11-22T20:00:00Z",
    }
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        assert await call(websocket, "s1", "StatusNotification", payload) == [3, "s1", {}]
    [event] = stored_events(settings.outbox_path)
    assert event["data"] == {
        "connector_id": 0,
        "status": "Unavailable",
        "error_code": "OtherError",
        "info": "door open",
        "vendor_id": "com.acme",
        "vendor_error_code": "E17",
        "timestamp": "2026-11-22T20:00:00.000Z",
    }


@pytest.mark.parametrize(
    ("payload", "error_code"),
    [
        ({"chargePointVendor": "ACME"}, "ProtocolError"),  # chargePointModel missing
        ({"chargePointVendor": 7, "chargePointModel": "X"}, "TypeConstraintViolation"),
        ({"chargePointVendor": "A" * 21, "chargePointModel": "X"}, "TypeConstraintViolation"),
        (
            {"chargePointVendor": "A", "chargePointModel": "X", "colour": "red"},
            "FormationViolation",
        ),
    ],
)
async def test_schema_invalid_boot_gets_a_callerror_and_the_connection_keeps_working(
    bridge, url, settings, payload, error_code
):
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        answer = await call(websocket, "bad-1", "BootNotification", payload)
        assert answer[:3] == [4, "bad-1", error_code]
        valid = {"chargePointVendor": "ACME", "chargePointModel": "X"}
        answer = await call(websocket, "good-2", "BootNotification", valid)
        assert answer[:2] == [3, "good-2"]
        assert answer[2]["status"] == "Accepted"
    assert [event["kind"] for event in stored_events(settings.outbox_path)] == ["boot"]


async def test_an_event_that_cannot_be_stored_is_not_acknowledged(bridge, url, settings):
    async with SimulatedCharger(url, "CP-1") as charger:
        await bridge.outbox.close()  # the disk is gone
        with pytest.raises(InternalError) as caught:
            await charger.boot()
    assert "CP-1" in caught.value.description
    assert "boot" in caught.value.description


async def test_a_charging_session_is_answered_and_recorded_as_the_contract_says(
    bridge, url, settings
):
    await bridge.state.run(auth.put, auth.Entry("CAFE01", expiry_date="2099-01-01T00:00:00Z"))
    async with SimulatedCharger(url, "CP-1") as charger:
        authorized = await charger.authorize("CAFE01")
        started = await charger.start_transaction(
            1, "CAFE01", 1000, timestamp="2026-11-22T20:00:00Z", reservation_id=7
        )
        transaction_id = started.transaction_id
        await charger.meter_values(1, transaction_id, 1500, 11000, timestamp="2026-11-22T20:05:00Z")
        stopped = await charger.stop_transaction(
            transaction_id,
            2000,
            reason="EVDisconnected",
            id_tag="CAFE01",
            timestamp="2026-11-22T20:10:00Z",
            transaction_data=[meter_value(2000, 0, "2026-11-22T20:10:00Z")],
        )
    accepted = {"status": "Accepted", "expiry_date": "2099-01-01T00:00:00.000Z"}
    assert authorized.id_tag_info == accepted
    assert started.id_tag_info == accepted
    assert stopped.id_tag_info == accepted
    assert isinstance(transaction_id, int)
    decision = {"status": "Accepted", "source": "cache", "expiry_date": "2099-01-01T00:00:00.000Z"}
    samples = [
        {
            "timestamp": "2026-11-22T20:05:00.000Z",
            "value": "1500",
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
            "context": "Sample.Periodic",
            "location": "Outlet",
            "format": "Raw",
        },
        {
            "timestamp": "2026-11-22T20:05:00.000Z",
            "value": "11000",
            "measurand": "Power.Active.Import",
            "unit": "W",
            "context": "Sample.Periodic",
            "location": "Outlet",
            "format": "Raw",
        },
    ]
    final = [dict(s, timestamp="2026-11-22T20:10:00.000Z") for s in samples]
    final[0]["value"], final[1]["value"] = "2000", "0"
    assert [(e["kind"], e["data"]) for e in stored_events(settings.outbox_path)] == [
        ("authorize", {"id_tag": "CAFE01", "decision": decision}),
        (
            "transaction_started",
            {
                "transaction_id": str(transaction_id),
                "connector_id": 1,
                "id_tag": "CAFE01",
                "meter_start": 1000,
                "timestamp": "2026-11-22T20:00:00.000Z",
                "reservation_id": 7,
                "decision": decision,
            },
        ),
        (
            "meter_values",
            {"connector_id": 1, "transaction_id": str(transaction_id), "samples": samples},
        ),
        (
            "transaction_stopped",
            {
                "transaction_id": str(transaction_id),
                "meter_stop": 2000,
                "timestamp": "2026-11-22T20:10:00.000Z",
                "reason": "EVDisconnected",
                "id_tag": "CAFE01",
                "samples": final,
            },
        ),
    ]


async def test_meter_values_keep_what_was_sent_and_fill_the_spec_defaults(bridge, url, settings):
    # Wh is the default unit of energy measurands only; a power value without a unit has none.
    payload = {
        "connectorId": 2,
        "meterValue": [
            {
                "timestamp": "2026-11-22T21:00:00.5+01:00",
                "sampledValue": [
                    {"value": "12.5"},
                    {"value": "7.2", "measurand": "Power.Active.Import"},
                    {
                        "value": "230.1",
                        "measurand": "Voltage",
                        "unit": "V",
                        "phase": "L1-N",
                        "context": "Sample.Clock",
                        "location": "Inlet",
                        "format": "Raw",
                    },
                ],
            }
        ],
    }
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        assert await call(websocket, "m1", "MeterValues", payload) == [3, "m1", {}]
    [event] = stored_events(settings.outbox_path)
    assert event["kind"] == "meter_values"
    at = "2026-11-22T20:00:00.500Z"
    assert event["data"] == {
        "connector_id": 2,
        "samples": [
            {
                "timestamp": at,
                "value": "12.5",
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
                "context": "Sample.Periodic",
                "location": "Outlet",
                "format": "Raw",
            },
            {
                "timestamp": at,
                "value": "7.2",
                "measurand": "Power.Active.Import",
                "context": "Sample.Periodic",
                "location": "Outlet",
                "format": "Raw",
            },
            {
                "timestamp": at,
                "value": "230.1",
                "measurand": "Voltage",
                "unit": "V",
                "phase": "L1-N",
                "context": "Sample.Clock",
                "location": "Inlet",
                "format": "Raw",
            },
        ],
    }


@pytest.mark.parametrize(
    ("action", "payload", "answer", "kind", "data"),
    [
        (
            "DataTransfer",
            {"vendorId": "com.acme", "messageId": "hello", "data": '{"a": 1}'},
            {"status": "UnknownVendorId"},
            "data_transfer",
            {
                "vendor_id": "com.acme",
                "message_id": "hello",
                "data": '{"a": 1}',
                "status": "UnknownVendorId",
            },
        ),
        (
            "DataTransfer",
            {"vendorId": "com.acme"},
            {"status": "UnknownVendorId"},
            "data_transfer",
            {"vendor_id": "com.acme", "status": "UnknownVendorId"},
        ),
        (
            "DiagnosticsStatusNotification",
            {"status": "Uploaded"},
            {},
            "diagnostics_status",
            {"status": "Uploaded"},
        ),
        (
            "FirmwareStatusNotification",
            {"status": "Installing"},
            {},
            "firmware_status",
            {"status": "Installing"},
        ),
    ],
)
async def test_notifications_and_data_transfer_are_answered_and_recorded(
    bridge, url, settings, action, payload, answer, kind, data
):
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        assert await call(websocket, "n1", action, payload) == [3, "n1", answer]
    [event] = stored_events(settings.outbox_path)
    assert (event["kind"], event["data"]) == (kind, data)


@pytest.mark.parametrize(
    "sent",
    [
        "2026-11-22T20:00:00.123Z",
        "2026-11-22T22:00:00.123+02:00",
        "2026-11-22T20:00:00.1234567Z",
        "2026-11-22T15:00:00.123999-05:00",
    ],
)
async def test_charger_times_reach_the_events_in_utc_with_z(bridge, url, settings, sent):
    payload = {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": sent}
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        assert await call(websocket, "s1", "StatusNotification", payload) == [3, "s1", {}]
    [event] = stored_events(settings.outbox_path)
    assert event["data"]["timestamp"] == "2026-11-22T20:00:00.123Z"


async def test_a_transaction_the_state_cannot_record_is_not_acknowledged(bridge, url, settings):
    async with SimulatedCharger(url, "CP-1") as charger:
        await bridge.state.close()  # the disk is gone
        with pytest.raises(InternalError) as caught:
            await charger.start_transaction(1, "CAFE01", 0)
    assert "CP-1" in caught.value.description
    assert stored_events(settings.outbox_path) == []
