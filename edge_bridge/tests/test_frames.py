"""The frame layer: every bad frame gets the CALLERROR OCPP 1.6 names, and nothing breaks."""

import asyncio
import json
import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from arthexis_bridge.protocols import frames

from .helpers import call, send_frame, stored_events

START = {"connectorId": 1, "idTag": "CAFE", "meterStart": 0, "timestamp": "2026-11-22T20:00:00Z"}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


def start(**changes):
    return {key: value for key, value in (START | changes).items() if value is not None}


ANSWERED = [
    # Not JSON, but it starts like a CALL whose id can be read.
    pytest.param('[2,"abc","Heartbeat",{]', "FormationViolation", id="not-json"),
    pytest.param(
        '[2,"abc","Heartbeat",{"n":' + "9" * 5000 + "}]", "FormationViolation", id="huge-number"
    ),
    pytest.param(
        # A surrogate in UTF-8 bytes is no UTF-8; json.loads took it, and the boot
        # event could then never be stored (InternalError, "send it again", forever).
        b'[2,"abc","BootNotification",{"chargePointVendor":"AB\xed\xa0\x80C","chargePointModel":"M"}]',
        "FormationViolation",
        id="binary-surrogate-bytes",
    ),
    pytest.param([2, "abc", "Heartbeat", {}, "more"], "FormationViolation", id="extra-element"),
    pytest.param([2, "abc", "Heartbeat"], "ProtocolError", id="missing-payload"),
    pytest.param([2, "abc"], "ProtocolError", id="missing-action"),
    pytest.param([7, "abc", "Heartbeat", {}], "PropertyConstraintViolation", id="type-id-7"),
    pytest.param(["2", "abc", "Heartbeat", {}], "TypeConstraintViolation", id="type-id-text"),
    pytest.param([2, "abc", 17, {}], "TypeConstraintViolation", id="action-number"),
    pytest.param([2, "abc", "Heartbeat", []], "TypeConstraintViolation", id="payload-array"),
    pytest.param([2, "abc", "Frobnicate", {}], "NotImplemented", id="unknown-action"),
    pytest.param([2, "abc", "Reset", {"type": "Hard"}], "NotSupported", id="central-action"),
    pytest.param(
        [2, "abc", "SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}],
        "NotSupported",
        id="security-extension",
    ),
    pytest.param(
        [2, "abc", "StartTransaction", start(connectorId="1")],
        "TypeConstraintViolation",
        id="schema-type",
    ),
    pytest.param(
        [2, "abc", "StartTransaction", start(idTag="X" * 21)],
        "TypeConstraintViolation",
        id="schema-too-long",
    ),
    pytest.param(
        [2, "abc", "StartTransaction", start(timestamp="yesterday")],
        "TypeConstraintViolation",
        id="schema-date-time",
    ),
    pytest.param(
        [2, "abc", "StartTransaction", start(meterStart=2**64)],
        "TypeConstraintViolation",
        id="schema-over-64-bits",
    ),
    # 1.6's integers are 32 bits (xs:int), and XML-RPC carries no larger one to
    # Odoo: answered, such an event would have blocked its sync lane for good.
    pytest.param(
        [2, "abc", "StartTransaction", start(meterStart=2**31)],
        "TypeConstraintViolation",
        id="schema-over-32-bits",
    ),
    pytest.param(
        [2, "abc", "StatusNotification", STATUS | {"connectorId": -(2**31) - 1}],
        "TypeConstraintViolation",
        id="schema-under-32-bits",
    ),
    pytest.param(
        # Parsed, but walking it for lone surrogates overflowed the stack and
        # closed the charger's connection.
        '[2,"abc","Heartbeat",{"x":' + "[" * 900 + '"\\ud800"' + "]" * 900 + "}]",
        "FormationViolation",
        id="deep-nesting-with-lone-surrogate",
    ),
    pytest.param(
        [2, "abc", "StartTransaction", start(meterStart=None)],
        "ProtocolError",
        id="schema-missing-required",
    ),
    pytest.param(
        [2, "abc", "Authorize", {"idTag": "CAFE", "colour": "red"}],
        "FormationViolation",
        id="schema-extra-property",
    ),
    pytest.param(
        [2, "abc", "StatusNotification", STATUS | {"status": "Sleeping"}],
        "PropertyConstraintViolation",
        id="schema-enum",
    ),
    pytest.param(
        [2, "abc", "MeterValues", {"connectorId": 1, "meterValue": []}],
        "OccurenceConstraintViolation",
        id="schema-min-items",
    ),
    pytest.param(
        [2, "abc", "StartTransaction", start(connectorId=0)],
        "PropertyConstraintViolation",
        id="start-on-connector-0",
    ),
    pytest.param(
        [2, "abc", "StatusNotification", STATUS | {"connectorId": -1}],
        "PropertyConstraintViolation",
        id="negative-connector",
    ),
]


@pytest.mark.parametrize(("frame", "code"), ANSWERED)
async def test_a_bad_frame_gets_its_callerror_and_the_chargers_keep_working(
    bridge, url, settings, frame, code
):
    async with (
        connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket,
        connect(f"{url}/CP-2", subprotocols=["ocpp1.6"]) as other,
    ):
        answer = await send_frame(websocket, frame)
        assert answer[:3] == [4, "abc", code]
        description, details = answer[3:]
        assert isinstance(description, str) and description
        assert isinstance(details, dict)
        assert (await call(websocket, "next", "Heartbeat", {}))[:2] == [3, "next"]
        assert (await call(other, "other", "Heartbeat", {}))[:2] == [3, "other"]
    assert [e["charger"] for e in stored_events(settings.outbox_path)] == ["CP-1", "CP-2"]


UNANSWERED = [
    pytest.param("hello", id="not-json"),
    pytest.param('{"messageTypeId": 2}', id="object"),
    pytest.param("[]", id="empty-array"),
    pytest.param("[2]", id="no-id"),
    pytest.param([2, 17, "Heartbeat", {}], id="id-not-text"),
    pytest.param("[" * 5000, id="deep-nesting"),
    pytest.param(b"\xff\xfe[2", id="binary-not-utf8"),
    pytest.param([3, "abc", {}], id="callresult-to-nothing"),
    pytest.param([4, "abc", "GenericError", "oops", {}], id="callerror-to-nothing"),
    pytest.param([3, "abc"], id="callresult-of-wrong-shape"),
]


@pytest.mark.parametrize("frame", UNANSWERED)
async def test_a_frame_without_a_readable_call_id_is_logged_and_not_answered(
    bridge, url, frame, caplog
):
    caplog.set_level(logging.WARNING, logger="arthexis_bridge")
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        # The first answer is the heartbeat's: nothing was sent for the bad frame.
        await websocket.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))
        assert (await call(websocket, "next", "Heartbeat", {}))[:2] == [3, "next"]
    assert "charger CP-1" in caplog.text


async def test_an_oversized_frame_closes_only_its_chargers_connection_with_1009(
    bridge, url, settings, caplog
):
    assert settings.max_frame_bytes == 64 * 1024
    fits = {"vendorId": "com.acme", "data": "x" * 60_000}
    too_big = {"vendorId": "com.acme", "data": "x" * 70_000}
    async with (
        connect(f"{url}/CP-1", subprotocols=["ocpp1.6"], max_size=None) as websocket,
        connect(f"{url}/CP-2", subprotocols=["ocpp1.6"]) as other,
    ):
        assert (await call(websocket, "fits", "DataTransfer", fits))[:2] == [3, "fits"]
        await websocket.send(json.dumps([2, "big", "DataTransfer", too_big]))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(websocket.recv(), 5)
        assert websocket.close_code == 1009
        assert (await call(other, "other", "Heartbeat", {}))[:2] == [3, "other"]
    assert [e["kind"] for e in stored_events(settings.outbox_path)] == [
        "data_transfer",
        "heartbeat",
    ]
    assert "charger CP-1 sent a frame over 65536 bytes" in caplog.text


def test_the_call_id_of_a_broken_frame_is_read_when_it_can_be():
    with pytest.raises(frames.FrameError) as caught:
        frames.parse('[2, "a\\"b", "Heartbeat", {')
    assert caught.value.unique_id == 'a"b'
    with pytest.raises(frames.FrameError) as caught:
        frames.parse('[3, "abc", {')
    assert caught.value.unique_id is None, "an answer is never answered"


async def test_a_lone_surrogate_in_a_string_is_kept_as_u_fffd_and_the_outbox_lives_on(
    bridge, url, settings
):
    """JSON can escape half of a UTF-16 pair; no UTF-8 text can hold it. Before, one
    such BootNotification stopped the outbox's writer, and with it every charger."""
    boot = (
        '[2,"boot","BootNotification",{"chargePointVendor":"AB\\ud800C",'
        '"chargePointModel":"\\ud83d\\ude00 Terra"}]'
    )
    async with (
        connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket,
        connect(f"{url}/CP-2", subprotocols=["ocpp1.6"]) as other,
    ):
        answer = await send_frame(websocket, boot)
        assert answer[:2] == [3, "boot"] and answer[2]["status"] == "Accepted"
        assert (await call(other, "other", "Heartbeat", {}))[:2] == [3, "other"]
    stored = stored_events(settings.outbox_path)
    assert [(e["charger"], e["kind"]) for e in stored] == [("CP-1", "boot"), ("CP-2", "heartbeat")]
    assert stored[0]["data"]["vendor"] == "AB\ufffdC"
    assert stored[0]["data"]["model"] == "\U0001f600 Terra"  # a whole pair is a character


async def test_a_lone_surrogate_in_the_message_id_comes_back_as_the_charger_sent_it(bridge, url):
    """The answer's id is the charger's key for it: it was answered with U+FFFD instead."""
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        answer = await send_frame(websocket, '[2,"a\\ud800","Heartbeat",{}]')
        assert answer[:2] == [3, "a\ud800"]
        answer = await send_frame(websocket, '[2,"b\\udfff","Frobnicate",{"x":"\\ud800"}]')
        assert answer[:3] == [4, "b\udfff", "NotImplemented"]
