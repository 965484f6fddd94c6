"""OCPP 1.6: every accepted frame is committed to the outbox before it is answered."""

import asyncio
import json
import re
import sqlite3
from datetime import UTC, datetime

import pytest
from ocpp.exceptions import InternalError
from websockets.asyncio.client import connect

from arthexis_bridge.simulator import SimulatedCharger

from .helpers import HEARTBEAT_INTERVAL, stored_events

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def assert_current_time(text):
    assert ISO_Z.match(text), text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 5


async def call(websocket, unique_id, action, payload):
    """Send a raw CALL and return the decoded answer."""
    await websocket.send(json.dumps([2, unique_id, action, payload]))
    return json.loads(await websocket.recv())


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
        "timestamp": "2026-11-22T20:00:00Z",
    }


@pytest.mark.parametrize(
    ("payload", "error_code"),
    [
        ({"chargePointVendor": "ACME"}, "ProtocolError"),  # chargePointModel missing
        ({"chargePointVendor": 7, "chargePointModel": "X"}, "TypeConstraintViolation"),
        ({"chargePointVendor": "A" * 21, "chargePointModel": "X"}, "TypeConstraintViolation"),
        ({"chargePointVendor": "A", "chargePointModel": "X", "colour": "red"}, "FormatViolation"),
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


async def test_an_action_without_handler_yet_is_answered_not_implemented(bridge, url):
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        answer = await call(websocket, "a1", "Authorize", {"idTag": "CAFE"})
    assert answer[:3] == [4, "a1", "NotImplemented"]


async def test_an_event_that_cannot_be_stored_is_not_acknowledged(bridge, url, settings):
    async with SimulatedCharger(url, "CP-1") as charger:
        await bridge.outbox.close()  # the disk is gone
        with pytest.raises(InternalError) as caught:
            await charger.boot()
    assert "CP-1" in caught.value.description
    assert "boot" in caught.value.description
