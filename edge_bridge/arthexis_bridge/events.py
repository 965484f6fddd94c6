"""Bridge events: the protocol-neutral facts the bridge delivers to Odoo.

The shape is the contract in docs/events.md: ``id`` (uuid4 hex), ``charger``,
``kind``, ``at`` (UTC, ISO 8601, milliseconds, ``Z``), ``protocol`` and
``data``, whose keys are absent when the charger did not send them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

BOOT = "boot"
HEARTBEAT = "heartbeat"
STATUS = "status"


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTC time as ISO 8601 with milliseconds and Z: ``2026-11-22T20:00:00.123Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


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
