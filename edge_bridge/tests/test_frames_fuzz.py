"""Property-based fuzz of the frame layer, against a real bridge over a real websocket.

Whatever a charger sends: a frame with a readable CALL id gets exactly one
answer, a CALLRESULT fitting the 1.6 schema or a CALLERROR with a 1.6 code;
the connection stays open (a frame over ``max_frame_bytes`` closes it with
1009); other chargers are still served; and every event stored can be carried
to Odoo over XML-RPC, its times in the events' one format (docs/events.md).

One bridge serves all the examples of a test (starting one per example would
cost seconds), and ``derandomize`` makes every run try the same frames.
"""

import asyncio
import functools
import json
import re
import xmlrpc.client

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.messages import MessageType, get_validator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from arthexis_bridge import events
from arthexis_bridge.odoo_client import xml_safe

from .helpers import call, stored_events

FUZZ = settings(
    max_examples=250,
    deadline=None,  # each example is a few round trips on a shared 2-core machine
    derandomize=True,
    database=None,  # no .hypothesis directory: CI runs only what derandomize picks
    # One bridge (a function-scoped fixture) serves every example on purpose:
    # the examples share it as a charger's frames share a real bridge.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# OCPP-J 1.6, 4.2.3: the codes a CALLERROR may carry.
ERROR_CODES = {
    "NotImplemented",
    "NotSupported",
    "InternalError",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
}

EVENT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

NOW = "2026-11-22T20:00:00Z"
SAMPLE = {
    "value": "1234.5",
    "context": "Sample.Periodic",
    "format": "Raw",
    "measurand": "Energy.Active.Import.Register",
    "phase": "L1",
    "location": "Outlet",
    "unit": "Wh",
}

# A valid CALL of every action a charger sends to the central system, each
# optional field present so that mutations reach it too.
VALID = {
    "Authorize": {"idTag": "CAFE"},
    "BootNotification": {
        "chargePointVendor": "ACME",
        "chargePointModel": "Terra",
        "chargePointSerialNumber": "S-1",
        "chargeBoxSerialNumber": "B-1",
        "firmwareVersion": "1.0",
        "iccid": "8931",
        "imsi": "2040",
        "meterType": "DZG",
        "meterSerialNumber": "M-1",
    },
    "DataTransfer": {"vendorId": "com.acme", "messageId": "hello", "data": "world"},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Heartbeat": {},
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 1,
        "meterValue": [{"timestamp": NOW, "sampledValue": [SAMPLE]}],
    },
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "CAFE",
        "meterStart": 0,
        "reservationId": 7,
        "timestamp": NOW,
    },
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "NoError",
        "info": "ok",
        "status": "Available",
        "timestamp": NOW,
        "vendorId": "com.acme",
        "vendorErrorCode": "E0",
    },
    "StopTransaction": {
        "idTag": "CAFE",
        "meterStop": 10,
        "timestamp": NOW,
        "transactionId": 1,
        "reason": "Local",
        "transactionData": [{"timestamp": NOW, "sampledValue": [SAMPLE]}],
    },
    "SecurityEventNotification": {
        "type": "FirmwareUpdated",
        "timestamp": NOW,
        "techInfo": "v2",
    },
}
# Actions of 1.6 (and its security extension) the central system does not take.
OTHER_ACTIONS = ["Reset", "RemoteStartTransaction", "SignCertificate", "LogStatusNotification"]

# What chargers get wrong, or what breaks text handling.
NASTY_CHARS = ["\x00", "\x01", "\x1f", "\x7f", "\ud800", "\udfff", "\ufffe", "\uffff"]
NASTY_CHARS += ["\U0001f600", "\u202e", "\u00e9", "\\", '"', "<", "&", "]]>"]
nasty_text = st.lists(st.sampled_from(NASTY_CHARS) | st.text(max_size=3), max_size=8).map("".join)
long_text = st.sampled_from([21, 26, 51, 256, 501, 5_000, 70_000]).map(lambda n: "\u00e9" * n)
texts = nasty_text | long_text | st.text(max_size=30)

# Times a charger may write (frames.py reads them as real chargers write them)...
VALID_TIMES = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "2026-11-22T22:00:00.1234567+02:00",
    "2026-11-22T20:00:00.1234567890+0530",
    "2026-11-22T20:00:00+14:00",
    "2026-11-22T20:00:00-0330",
    "2026-11-22t20:00:00z",
    "2026-11-22 20:00:00",
    "2026-11-22T20:00",
    " 2026-11-22T20:00:00Z ",
]
# ... and what is no time, or one out of range once in UTC.
INVALID_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-13-45T25:61:61Z",
    "2026-02-30T00:00:00Z",
    "2026-11-22T20:00:00+99:99",
    "2026-11-22",
    "20:00:00",
    "",
]
times = st.sampled_from(VALID_TIMES + INVALID_TIMES)
numbers = st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63)])
numbers = numbers | st.integers() | st.floats() | st.booleans()

json_values = st.recursive(
    st.none() | st.booleans() | numbers | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
# Lists inside lists (the deepest frames: test_a_deeply_nested_call_...).
nested = st.integers(min_value=1, max_value=300).map(lambda depth: _nest(depth))


def _nest(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def _paths(value, path=()):
    """Every place in a payload: its objects' keys and its lists' items."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _get(value, path):
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated_payloads(draw, payload):
    """``payload`` with one to three things changed: values replaced by odd ones,
    keys removed or added."""
    payload = json.loads(json.dumps(payload))  # a copy of our own
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(payload)))
        old = _get(payload, path)
        how = draw(st.sampled_from(["replace", "remove", "add"]))
        if not path or (how == "add" and isinstance(old, dict)):
            if isinstance(old, dict):
                old[draw(texts)] = draw(json_values)
            continue
        parent, last = _get(payload, path[:-1]), path[-1]
        if how == "remove":
            del parent[last]
            continue
        if isinstance(old, str) and "imestamp" in str(last):
            new = draw(times | texts | json_values)
        elif isinstance(old, str):
            new = draw(texts | json_values)
        elif isinstance(old, int):
            new = draw(numbers | json_values)
        else:
            new = draw(json_values | nested)
        parent[last] = new
    return payload


# Integers are 32 bits in 1.6 (xs:int) and in XML-RPC (frames.py).
INT32 = [0, -1, 1, 2**31 - 1, -(2**31)]
OVER_INT32 = [2**31, -(2**31) - 1, 2**53 + 1, 2**63, 2**64]
# Lowest connectorId per action (frames.py): the 1.6 text, not the schema, says so.
LOWEST_CONNECTOR = {"StartTransaction": 1, "MeterValues": 0, "StatusNotification": 0}


def _schema(action):
    return get_validator(MessageType.Call, action, "1.6").schema


def _schema_at(schema, path):
    for step in path:
        schema = schema["items"] if isinstance(step, int) else schema["properties"][step]
    return schema


@st.composite
def still_valid(draw, schema):
    """A value the schema takes, of the kind that breaks text, numbers and times."""
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    if schema.get("format") == "date-time":
        return draw(st.sampled_from(VALID_TIMES))
    if schema["type"] == "integer":
        return draw(st.sampled_from(INT32) | st.integers(-(2**31), 2**31 - 1))
    return draw(texts)[: schema.get("maxLength", 100_000)]


@st.composite
def faulty_calls(draw):
    """A valid CALL with one thing changed, and the code it deserves (None: a CALLRESULT).

    The codes are the frame layer's table (frames.py), which follows OCPP-J 1.6."""
    action = draw(st.sampled_from(sorted(VALID)))
    payload = json.loads(json.dumps(VALID[action]))
    schema = _schema(action)
    leaves = [p for p in _paths(payload) if p and not isinstance(_get(payload, p), dict | list)]
    objects = [p for p in _paths(payload) if isinstance(_get(payload, p), dict)]
    how = draw(st.sampled_from(["valid", "valid", "remove", "add", "long", "value", "type", "big"]))
    if how == "add":
        path = draw(st.sampled_from(objects))
        key = draw(texts.filter(lambda k: k not in _get(payload, path)))
        _get(payload, path)[key] = draw(json_values)
        return action, payload, "FormationViolation"
    if how == "remove":
        required = [
            p
            for p in leaves + objects
            if p and p[-1] in _schema_at(schema, p[:-1]).get("required", ())
        ]
        if required:
            path = draw(st.sampled_from(required))
            del _get(payload, path[:-1])[path[-1]]
            return action, payload, "ProtocolError"
    if not leaves:  # Heartbeat: nothing to change
        return action, payload, None
    if how == "valid":  # any of the fields, each to an odd value the schema takes
        for path in leaves:
            if draw(st.booleans()):
                _get(payload, path[:-1])[path[-1]] = draw(still_valid(_schema_at(schema, path)))
        return action, payload, _connector_fault(action, payload)
    path = draw(st.sampled_from(leaves))
    parent, key, field = _get(payload, path[:-1]), path[-1], _schema_at(schema, path)
    expected = None
    if how == "long" and "maxLength" in field:
        parent[key] = draw(long_text.filter(lambda s: len(s) > field["maxLength"]))
        expected = "TypeConstraintViolation"
    elif how == "value" and "enum" in field:
        parent[key] = draw(texts.filter(lambda s: s not in field["enum"]))
        expected = "PropertyConstraintViolation"
    elif how == "value" and field.get("format") == "date-time":
        parent[key] = draw(st.sampled_from(INVALID_TIMES))
        expected = "TypeConstraintViolation"
    elif how == "big" and field["type"] == "integer":
        parent[key] = draw(st.sampled_from(OVER_INT32))
        expected = "TypeConstraintViolation"
    elif how == "type":
        wrong = {"string": str, "integer": int}[field["type"]]
        parent[key] = draw(json_values.filter(lambda v: type(v) is not wrong))
        expected = "TypeConstraintViolation"
    else:
        parent[key] = draw(still_valid(field))
    return action, payload, expected or _connector_fault(action, payload)


def _connector_fault(action, payload):
    """The code a payload the schema takes still deserves, if any."""
    lowest = LOWEST_CONNECTOR.get(action)
    if lowest is not None and payload["connectorId"] < lowest:
        return "PropertyConstraintViolation"
    return None


@st.composite
def calls(draw):
    """A CALL of a charger: a valid one of any action, mutated or not, or another action."""
    unique_id = draw(st.text(max_size=36) | st.sampled_from(["\ud800", "a\x00b", "\U0001f600"]))
    action = draw(st.sampled_from(sorted(VALID)) | st.sampled_from(OTHER_ACTIONS) | texts)
    payload = VALID.get(action, {})
    if draw(st.booleans()):
        payload = draw(mutated_payloads(payload))
    return [2, unique_id, action, payload]


class Charger:
    """A connection to the bridge that comes back after the bridge closes it."""

    def __init__(self, url, name):
        self.url, self.name = url, name
        self.websocket = None
        self.probes = 0

    async def open(self):
        if self.websocket is None:
            self.websocket = await connect(
                f"{self.url}/{self.name}", subprotocols=["ocpp1.6"], max_size=None
            )
        return self.websocket

    async def close(self):
        if self.websocket is not None:
            await self.websocket.close()

    async def exchange(self, message, max_bytes):
        """Send ``message`` (text or bytes), then a Heartbeat; return what the bridge
        answered before the Heartbeat's answer. A message over ``max_bytes`` must
        close the connection with 1009 (None is returned)."""
        websocket = await self.open()
        await websocket.send(message)
        size = len(message.encode("utf-8") if isinstance(message, str) else message)
        if size > max_bytes:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(websocket.recv(), 5)
            assert websocket.close_code == 1009
            self.websocket = None
            return None
        self.probes += 1
        probe = f"probe-{self.probes}"
        await websocket.send(json.dumps([2, probe, "Heartbeat", {}]))
        answers = []
        while True:
            answer = json.loads(await asyncio.wait_for(websocket.recv(), 5))
            if answer[:2] == [3, probe]:
                return answers
            answers.append(answer)


def as_text(frame, draw):
    """The frame as JSON text; lone surrogates can only travel escaped (ensure_ascii)."""
    ascii_only = draw(st.booleans())
    try:
        text = json.dumps(frame, ensure_ascii=ascii_only)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(frame)
    return text


def check_answers(answers, frame):
    """The answers to ``frame`` (decoded JSON, or None if it was not JSON)."""
    readable = (
        isinstance(frame, list)
        and len(frame) >= 2
        and isinstance(frame[1], str)
        and not (type(frame[0]) is int and frame[0] in (3, 4))
    )
    if not readable:
        assert answers == [], "a frame without a readable CALL id is not answered"
        return
    assert len(answers) == 1, f"one answer to a CALL, got {answers}"
    (answer,) = answers
    assert answer[1] == frame[1], "the answer carries the CALL's own id"
    if answer[0] == MessageType.CallResult:
        assert len(answer) == 3 and frame[2] in VALID
        get_validator(MessageType.CallResult, frame[2], "1.6").validate(answer[2])
        return
    assert answer[0] == MessageType.CallError and len(answer) == 5, answer
    code, description, details = answer[2:]
    assert code in ERROR_CODES
    # Nothing in a healthy bridge fails inside: InternalError would be a handler's bug.
    assert code != "InternalError", answer
    assert isinstance(description, str) and description
    assert isinstance(details, dict)


def check_events(stored):
    """Each event can go to Odoo as the XML-RPC client sends it, and its times are
    in the one format of docs/events.md."""
    for event in stored:
        body = xmlrpc.client.dumps(([event],), "ingest", allow_none=True)
        params, method = xmlrpc.client.loads(xml_safe(body.encode("utf-8", "xmlcharrefreplace")))
        assert method == "ingest" and params[0][0]["id"] == event["id"]
        data = event["data"]
        times = [data.get("timestamp")] + [s["timestamp"] for s in data.get("samples") or []]
        for moment in filter(None, times):
            assert EVENT_TIME.fullmatch(moment), f"{event['kind']} time {moment!r}"


class Fuzz:
    """One fuzzing charger, one well-behaved one, and what the outbox held so far."""

    def __init__(self, bridge, url, settings):
        self.bridge, self.settings = bridge, settings
        self.charger = Charger(url, "CP-FUZZ")
        self.other = Charger(url, "CP-OTHER")
        self.seen = 0

    async def send(self, message, frame=None, check=None):
        """Send ``message`` (``frame`` decoded) and check the answers (by ``check``,
        if given), the other charger and the new events."""
        answers = await self.charger.exchange(message, self.settings.max_frame_bytes)
        if answers is not None:
            (check or functools.partial(check_answers, frame=frame))(answers)
        other = await self.other.open()
        assert (await call(other, "other", "Heartbeat", {}))[:2] == [3, "other"]
        stored = stored_events(self.settings.outbox_path)
        new, self.seen = stored[self.seen :], len(stored)  # a bad event fails one example
        check_events(new)

    async def finish(self):
        await self.charger.close()
        await self.other.close()
        # The outbox still takes events: its writer thread lived through it all.
        await self.bridge.outbox.append(events.make_event("CP-OTHER", events.HEARTBEAT, "ocpp1.6"))
        assert stored_events(self.settings.outbox_path)[-1]["charger"] == "CP-OTHER"


@pytest.fixture
async def fuzz(bridge, url, settings):
    fuzzing = Fuzz(bridge, url, settings)
    yield fuzzing
    await fuzzing.finish()


@FUZZ
@given(data=st.data())
async def test_a_call_with_one_fault_gets_its_code_and_a_valid_one_is_accepted(fuzz, data):
    action, payload, expected = data.draw(faulty_calls())
    frame = [2, "one-fault", action, payload]

    def check(answers):
        check_answers(answers, frame)
        if expected is None:
            assert answers[0][0] == MessageType.CallResult, answers
        else:
            assert answers[0][:3] == [4, "one-fault", expected], answers

    await fuzz.send(as_text(frame, data.draw), check=check)


@FUZZ
@given(data=st.data())
async def test_mutated_calls_of_every_action_are_answered_and_stored_safely(fuzz, data):
    frame = data.draw(calls())
    text = as_text(frame, data.draw)
    message = text.encode() if data.draw(st.booleans()) else text
    await fuzz.send(message, json.loads(text))


@FUZZ
@given(data=st.data())
async def test_any_json_is_answered_when_it_has_a_call_id(fuzz, data):
    head = data.draw(st.sampled_from([2, 3, 4, 7, "2", 2.0, True, None]))
    unique_id = data.draw(texts | json_values)
    rest = data.draw(st.lists(json_values, max_size=4))
    frame = data.draw(st.just([head, unique_id, *rest]) | json_values)
    text = as_text(frame, data.draw)
    await fuzz.send(text, json.loads(text))


@FUZZ
@given(data=st.data())
async def test_text_that_is_not_json_is_answered_only_when_its_call_id_is_readable(fuzz, data):
    action = data.draw(st.sampled_from(sorted(VALID)))
    whole = json.dumps([2, "broken-id", action, VALID[action]])
    cut = data.draw(st.integers(min_value=0, max_value=len(whole) - 1))
    # No quote in the junk: it cannot close a cut id, so only a whole id is readable.
    junk = st.text(max_size=20).filter(lambda s: '"' not in s)
    junk = data.draw(junk | st.sampled_from(["NaN", "[" * 100_000, "\x00"]))
    text = data.draw(st.sampled_from([whole[:cut], whole[:cut] + junk, junk]))
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        await fuzz.send(text, check=_not_json(text))
    else:
        await fuzz.send(text, frame)


@FUZZ
@given(data=st.data())
async def test_a_binary_frame_that_is_not_utf_8_is_answered_by_its_call_id(fuzz, data):
    action = data.draw(st.sampled_from(sorted(VALID)))
    whole = json.dumps([2, "broken-id", action, VALID[action]]).encode()
    # Bytes no UTF-8 text holds: a stray byte, a surrogate as CESU-8 writes it, a cut
    # character. Put before the id or after it (within, the id would read garbled).
    bad = data.draw(st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\xc3", b"\x80\x80"]))
    where = data.draw(st.integers(0, 4) | st.integers(len(b'[2, "broken-id"'), len(whole)))
    message = whole[:where] + bad + whole[where:]
    await fuzz.send(message, check=_not_json(message.decode("utf-8", "replace")))


def _not_json(text):
    def check(answers):
        if text.startswith('[2, "broken-id"'):
            assert len(answers) == 1 and answers[0][:3] == [4, "broken-id", "FormationViolation"]
        else:
            assert answers == [], "no answer without a readable CALL id"

    return check


@settings(FUZZ, max_examples=40)  # a few hundred depths: enough to cross the limits
@given(
    depth=st.sampled_from([10, 500, 900]) | st.integers(min_value=950, max_value=1100),
    inner=st.sampled_from(['"\\ud800"', '"x"', "1", "{}"]),
)
async def test_a_deeply_nested_call_gets_a_formation_violation(fuzz, depth, inner):
    """As deep as the JSON reader goes, or deeper: the frame's walks must not overflow."""
    text = '[2,"deep","Heartbeat",{"x":' + "[" * depth + inner + "]" * depth + "}]"

    def check(answers):
        assert len(answers) == 1 and answers[0][:3] == [4, "deep", "FormationViolation"]

    await fuzz.send(text, check=check)
