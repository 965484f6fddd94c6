"""SecurityEventNotification (OCPP 1.6 security whitepaper): answered, and kept for Odoo."""

from websockets.asyncio.client import connect

from .helpers import call, stored_events


async def test_a_security_event_is_answered_empty_and_recorded_with_its_details(
    bridge, url, settings
):
    payload = {
        "type": "TamperDetectionActivated",
        "timestamp": "2026-11-22T22:00:00.5+02:00",
        "techInfo": "lid sensor 2 open",
    }
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        answer = await call(websocket, "s1", "SecurityEventNotification", payload)
    assert answer == [3, "s1", {}]
    [event] = stored_events(settings.outbox_path)
    assert (event["charger"], event["kind"], event["protocol"]) == (
        "CP-1",
        "security_event",
        "ocpp1.6",
    )
    assert event["data"] == {
        "type": "TamperDetectionActivated",
        "timestamp": "2026-11-22T20:00:00.500Z",
        "tech_info": "lid sensor 2 open",
    }


async def test_a_security_event_without_tech_info_has_no_tech_info_key(bridge, url, settings):
    payload = {"type": "SettingSystemTime", "timestamp": "2026-11-22T20:00:00Z"}
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        assert await call(websocket, "s1", "SecurityEventNotification", payload) == [3, "s1", {}]
    [event] = stored_events(settings.outbox_path)
    assert event["data"] == {"type": "SettingSystemTime", "timestamp": "2026-11-22T20:00:00.000Z"}


async def test_a_security_event_outside_its_schema_gets_the_callerror_and_is_not_kept(
    bridge, url, settings
):
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        missing = await call(websocket, "s1", "SecurityEventNotification", {"type": "X"})
        too_long = await call(
            websocket,
            "s2",
            "SecurityEventNotification",
            {"type": "X" * 51, "timestamp": "2026-11-22T20:00:00Z"},
        )
    assert missing[:3] == [4, "s1", "ProtocolError"]
    assert too_long[:3] == [4, "s2", "TypeConstraintViolation"]
    assert stored_events(settings.outbox_path) == []
