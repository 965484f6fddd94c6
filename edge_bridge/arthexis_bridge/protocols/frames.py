"""OCPP-J 1.6 frames: read a websocket message, or name the CALLERROR it deserves.

A frame is ``[2, id, action, payload]`` (CALL), ``[3, id, payload]`` (CALLRESULT)
or ``[4, id, code, description, details]`` (CALLERROR). A CALL's payload is
checked against the official 1.6 JSON schema of its action (shipped with the
``ocpp`` package), with ``date-time`` formats read as real chargers write them
and integers held to 32 bits, as 1.6's SOAP types (``xs:int``) and XML-RPC to
Odoo hold them (a larger one, once answered, could never be delivered). What
is wrong gets the 1.6 error code for it; the frame itself is judged as if it
had a schema too:

==========================================  =============================
problem                                     1.6 CALLERROR code
==========================================  =============================
not JSON, extra elements, extra property    FormationViolation
missing elements, missing property          ProtocolError ("incomplete")
an element or field of the wrong type,      TypeConstraintViolation
too long, not a date-time
a value outside its allowed set             PropertyConstraintViolation
(MessageTypeId, enumerations, connector
ids the specification's text rules out)
too few or too many items in a list         OccurenceConstraintViolation
an action 1.6 does not define               NotImplemented
a 1.6 action a charger may not send here    NotSupported
==========================================  =============================

(1.6 spells "FormationViolation" and "OccurenceConstraintViolation" so; the
``ocpp`` package's FormatViolation is the 2.0.1 name. NotImplemented and
NotSupported are as the 1.6 specification defines them, which the ``ocpp``
package swaps.)

A CALLERROR answers a CALL and carries its id, so a frame whose id cannot be
read gets no answer: OCPP 1.6 defines none, and a CALLERROR with a made-up id
would only puzzle the charger. Nor is a CALLRESULT or CALLERROR ever answered.
Both are logged by the caller instead.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Container
from typing import Any

from jsonschema import Draft4Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match
from ocpp.exceptions import (
    FormationViolationError,
    NotImplementedError,
    NotSupportedError,
    OccurenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, CallResult, MessageType, get_validator
from ocpp.v16.enums import Action

from .. import events

OCPP_VERSION = "1.6"
MAX_DESCRIPTION = 200  # characters of a CALLERROR description

# The start of a CALL whose id is readable even when the rest is not JSON.
_CALL_START = re.compile(r'\s*\[\s*2\s*,\s*("(?:[^"\\]|\\.)*")')

ACTIONS = frozenset(action.value for action in Action)

# JSON may escape a lone UTF-16 surrogate ("\ud800"), which decodes to a code
# point no UTF-8 text can hold: the outbox and Odoo would refuse the event.
# Such a string takes U+FFFD in its place (a pair, as emoji come, is one
# character already), but for the message id, which is only echoed back.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")

_INT32 = (-(2**31), 2**31)  # xmlrpc.client refuses to send any other int

# Lowest connectorId per action: rules the 1.6 text states and its schemas leave out.
_MIN_CONNECTOR_ID = {"StartTransaction": 1, "MeterValues": 0, "StatusNotification": 0}

_SCHEMA_ERRORS: dict[str, type[OCPPError]] = {
    "type": TypeConstraintViolationError,
    "maxLength": TypeConstraintViolationError,  # CiStringNType: the length is the type
    "format": TypeConstraintViolationError,  # dateTime
    "enum": PropertyConstraintViolationError,
    "required": ProtocolError,  # 1.6: "Payload for Action is incomplete"
    "minItems": OccurenceConstraintViolationError,
    "maxItems": OccurenceConstraintViolationError,
    "additionalProperties": FormationViolationError,
}


class FrameError(Exception):
    """A frame the bridge cannot take: the CALLERROR for it, if it has a readable CALL id."""

    def __init__(self, error: OCPPError, unique_id: str | None = None) -> None:
        super().__init__(error.description)
        self.error = error
        self.unique_id = unique_id

    def call_error(self) -> CallError:
        """The CALLERROR answering the frame (only when ``unique_id`` is not None)."""
        return CallError(
            self.unique_id, self.error.code, self.error.description, self.error.details
        )


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def _frame_without_surrogates(frame: Any) -> Any:
    if isinstance(frame, list) and len(frame) > 1:
        # The message id goes back as the charger wrote it (escaped again in the
        # answer's JSON): the charger matches its answer by it.
        return [_without_surrogates(frame[0]), frame[1], *_without_surrogates(frame[2:])]
    return _without_surrogates(frame)


def parse(raw: str | bytes) -> Call | CallResult | CallError:
    """The message in a websocket frame; raises FrameError if it is not a valid one."""
    try:
        if isinstance(raw, bytes):
            # Strict: json.loads lets a surrogate written in UTF-8 bytes through.
            raw = raw.decode("utf-8")
        frame = json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, huge numbers, deep nesting
        raise FrameError(
            FormationViolationError("the frame is not valid JSON"), _readable_call_id(raw)
        ) from None
    if _SURROGATE_ESCAPE.search(raw):  # rare: only then is the frame walked
        try:
            frame = _frame_without_surrogates(frame)
        except RecursionError:  # nested about as deep as the JSON reader goes
            raise FrameError(
                FormationViolationError("the frame is nested too deeply"), _readable_call_id(raw)
            ) from None
    if not isinstance(frame, list) or not frame:
        raise FrameError(FormationViolationError("the frame is not a JSON array [type, id, ...]"))
    type_id = frame[0]
    unique_id = frame[1] if len(frame) > 1 and isinstance(frame[1], str) else None
    if type_id in (MessageType.CallResult, MessageType.CallError) and type(type_id) is int:
        return _parse_answer(frame, unique_id)
    if type(type_id) is not int:
        raise FrameError(TypeConstraintViolationError("MessageTypeId is not an integer"), unique_id)
    if type_id != MessageType.Call:
        raise FrameError(
            PropertyConstraintViolationError(
                f"MessageTypeId {type_id} is none of 2 (CALL), 3 (CALLRESULT), 4 (CALLERROR)"
            ),
            unique_id,
        )
    if unique_id is None:
        raise FrameError(FormationViolationError("the CALL has no string message id"))
    if len(frame) < 4:
        raise FrameError(
            ProtocolError(f"a CALL has 4 elements [2, id, action, payload], not {len(frame)}"),
            unique_id,
        )
    if len(frame) > 4:
        raise FrameError(
            FormationViolationError(
                f"a CALL has 4 elements [2, id, action, payload], not {len(frame)}"
            ),
            unique_id,
        )
    _, _, action, payload = frame
    if not isinstance(action, str):
        raise FrameError(TypeConstraintViolationError("the action is not a string"), unique_id)
    if not isinstance(payload, dict):
        raise FrameError(TypeConstraintViolationError("the payload is not an object"), unique_id)
    return Call(unique_id, action, payload)


def check_call(call: Call, handled: Container[str]) -> None:
    """Raise FrameError unless the action is ``handled`` and the payload fits its schema."""
    if call.action not in handled:
        if call.action in ACTIONS:
            error = NotSupportedError(f"the central system does not take {call.action}")
        else:
            error = NotImplementedError(f"{call.action} is not an OCPP 1.6 action")
        raise FrameError(error, call.unique_id)
    fits = _fast_check(call.action)
    if fits is None or not fits(call.payload):
        # The compiled check is exact only in saying yes: anything else is
        # judged, and its error named, by jsonschema itself.
        found = best_match(_validator(call.action).iter_errors(call.payload))
        if found is not None:
            raise FrameError(_schema_error(found), call.unique_id)
    lowest = _MIN_CONNECTOR_ID.get(call.action)
    if lowest is not None and call.payload["connectorId"] < lowest:
        error = PropertyConstraintViolationError(
            f"connectorId: {call.action} takes connector {lowest} or more, "
            f"not {call.payload['connectorId']}",
            details={"property": "connectorId"},
        )
        raise FrameError(error, call.unique_id)


def _parse_answer(frame: list, unique_id: str | None) -> CallResult | CallError:
    if unique_id is not None and frame[0] == MessageType.CallResult and len(frame) == 3:
        return CallResult(unique_id, frame[2])
    if unique_id is not None and frame[0] == MessageType.CallError and len(frame) in (4, 5):
        return CallError(unique_id, *frame[2:])
    # Never answered: a CALLERROR for an answer could start an endless exchange.
    raise FrameError(FormationViolationError("a CALLRESULT or CALLERROR of the wrong shape"))


def _readable_call_id(raw: str | bytes) -> str | None:
    """The message id of what starts like a CALL, if it can be read."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    match = _CALL_START.match(raw)
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def _schema_error(error: ValidationError) -> OCPPError:
    where = "/".join(str(part) for part in error.absolute_path) or "payload"
    description = f"{where}: {error.message}"
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 3] + "..."
    kind = _SCHEMA_ERRORS.get(error.validator, FormationViolationError)
    return kind(description, details={"property": where})


def _is_int32(checker: Any, instance: Any) -> bool:
    return Draft4Validator.TYPE_CHECKER.is_type(instance, "integer") and (
        _INT32[0] <= instance < _INT32[1]
    )


_Validator = validators.extend(
    Draft4Validator, type_checker=Draft4Validator.TYPE_CHECKER.redefine("integer", _is_int32)
)
_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time", raises=ValueError)(events.parse_time)


@functools.cache
def _fast_check(action: str) -> Callable[[Any], bool] | None:
    """The action's schema compiled to a plain function, None if it uses a keyword
    the compiler does not know (then jsonschema checks every payload).

    The function returns True only for a payload the schema accepts; False
    means "let jsonschema judge", which then finds the error or none.
    """
    try:
        return _compile(_validator(action).schema)
    except _Unsupported:
        return None


class _Unsupported(Exception):
    """A schema keyword (or form of one) the fast check does not compile."""


_IGNORED = frozenset({"$schema", "$id", "id", "title", "description"})


def _compile(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """Draft 4 semantics for the keywords the 1.6 schemas use: each keyword
    constrains only instances of the type it is about."""
    checks: list[Callable[[Any], bool]] = []
    unknown = (
        set(schema)
        - _IGNORED
        - {
            "type",
            "properties",
            "required",
            "additionalProperties",
            "enum",
            "maxLength",
            "format",
            "items",
            "minItems",
            "maxItems",
        }
    )
    if unknown:
        raise _Unsupported(", ".join(sorted(unknown)))
    kind = schema.get("type")
    if kind is not None:
        checks.append(_type_check(kind))
    if "enum" in schema:
        allowed = schema["enum"]
        if not all(type(value) is str for value in allowed):
            raise _Unsupported("enum of non-strings")
        allowed = frozenset(allowed)
        checks.append(lambda value: type(value) is str and value in allowed)
    if "maxLength" in schema:
        longest = schema["maxLength"]
        checks.append(lambda value: type(value) is not str or len(value) <= longest)
    if "format" in schema:
        if schema["format"] != "date-time":
            raise _Unsupported(f"format {schema['format']}")
        checks.append(_date_time)
    if {"properties", "required", "additionalProperties"} & set(schema):
        checks.append(_object_check(schema))
    if {"items", "minItems", "maxItems"} & set(schema):
        checks.append(_array_check(schema))

    def check(value: Any) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True

    return check


def _type_check(kind: Any) -> Callable[[Any], bool]:
    if kind == "integer":
        return lambda value: type(value) is int and _INT32[0] <= value < _INT32[1]
    if kind == "number":
        return lambda value: type(value) is int or type(value) is float
    simple = {"string": str, "boolean": bool, "object": dict, "array": list}.get(kind)
    if simple is None:
        raise _Unsupported(f"type {kind!r}")
    return lambda value: type(value) is simple


def _date_time(value: Any) -> bool:
    if type(value) is not str:
        return True  # format constrains strings only
    try:
        events.parse_time(value)
    except ValueError:
        return False
    return True


def _object_check(schema: dict[str, Any]) -> Callable[[Any], bool]:
    properties = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        raise _Unsupported("additionalProperties as a schema")
    closed = extra is False

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return True
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            fits = properties.get(name)
            if fits is None:
                if closed:
                    return False
            elif not fits(item):
                return False
        return True

    return check


def _array_check(schema: dict[str, Any]) -> Callable[[Any], bool]:
    items = schema.get("items")
    if items is not None and not isinstance(items, dict):
        raise _Unsupported("items as a list")
    fits = None if items is None else _compile(items)
    fewest = schema.get("minItems", 0)
    most = schema.get("maxItems")

    def check(value: Any) -> bool:
        if type(value) is not list:
            return True
        if len(value) < fewest or (most is not None and len(value) > most):
            return False
        return fits is None or all(fits(item) for item in value)

    return check


@functools.cache
def _validator(action: str) -> Draft4Validator:
    schema = get_validator(MessageType.Call, action, OCPP_VERSION).schema
    return _Validator(schema, format_checker=_FORMATS)
