"""Bridge events: the protocol-neutral facts the bridge delivers to Odoo.

The shape is the contract in docs/events.md: ``id`` (uuid4 hex), ``charger``,
``kind``, ``at`` (UTC, ISO 8601, milliseconds, ``Z``), ``protocol`` and
``data``, whose keys are absent when the charger did not send them. Every time
in ``data`` goes through :func:`normalize_time`, so Odoo reads one format.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, datetime
from typing import Any

BOOT = "boot"
HEARTBEAT = "heartbeat"
STATUS = "status"
AUTHORIZE = "authorize"
TRANSACTION_STARTED = "transaction_started"
METER_VALUES = "meter_values"
TRANSACTION_STOPPED = "transaction_stopped"
DATA_TRANSFER = "data_transfer"
DIAGNOSTICS_STATUS = "diagnostics_status"
FIRMWARE_STATUS = "firmware_status"

# Anomalies: answered, but staff should see them (docs/events.md).
UNKNOWN_TRANSACTION = "unknown_transaction"
OFFLINE_ACCEPT = "offline_accept"

# What chargers send: a date, a time to the minute or second, any fraction,
# then Z (any case), an offset with or without a colon, or nothing (UTC).
_ISO_TIME = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?", re.IGNORECASE
)


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTC time as ISO 8601 with milliseconds and Z: ``2026-11-22T20:00:00.123Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    # isoformat, not strftime: "%Y" writes year 1 as "1", not "0001".
    return moment.isoformat(timespec="milliseconds") + "Z"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as chargers write it, as an aware UTC datetime.

    Accepts ``Z`` or an offset, fractions of any length (cut to microseconds),
    and a time without zone, read as UTC (OCPP times are UTC). Raises
    ValueError for anything else.
    """
    if not isinstance(text, str) or not _ISO_TIME.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not an ISO 8601 date and time")
    text = text.strip().upper().replace(" ", "T")
    date, _, rest = text.partition("T")
    zone = ""
    if rest.endswith("Z"):
        rest, zone = rest[:-1], "+00:00"
    else:
        match = re.search(r"[+-]", rest)
        if match:
            rest, zone = rest[: match.start()], rest[match.start() :]
    clock, _, fraction = rest.partition(".")
    fraction = f".{fraction[:6]}" if fraction else ""
    try:
        moment = datetime.fromisoformat(f"{date}T{clock}{fraction}{zone}")
        return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"{text!r} is not a valid date and time: {error}") from None


def normalize_time(text: str) -> str:
    """A charger's time in the events' one format, UTC with milliseconds and Z.

    ``2026-11-22T22:00:00.1234567+02:00`` becomes ``2026-11-22T20:00:00.123Z``.
    Raises ValueError if the text is not an ISO 8601 date and time.
    """
    if type(text) is str:
        return _normalize_text(text)
    return utc_timestamp(parse_time(text))  # raises ValueError


@functools.lru_cache(maxsize=1024)  # chargers send the same few times, over and over
def _normalize_text(text: str) -> str:
    return utc_timestamp(parse_time(text))


def anomaly(code: str, detail: str) -> dict[str, str]:
    """Something the bridge answered that staff should review (``data["anomaly"]``)."""
    return {"code": code, "detail": detail}


def make_event(
    charger: str,
    kind: str,
    protocol: str,
    data: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A new event with a fresh id, received now (or ``at``); None values are dropped."""
    return {
        "id": uuid.uuid4().hex,
        "charger": charger,
        "kind": kind,
        "at": utc_timestamp(at),
        "protocol": protocol,
        "data": {key: value for key, value in (data or {}).items() if value is not None},
    }
