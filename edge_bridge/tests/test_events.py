"""Events follow docs/events.md."""

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from arthexis_bridge.events import make_event, normalize_time, utc_timestamp

AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_event_has_the_contract_keys_and_drops_absent_values():
    event = make_event("CP-1", "status", "ocpp1.6", {"connector_id": 0, "info": None})
    assert set(event) == {"id", "charger", "kind", "at", "protocol", "data"}
    assert uuid.UUID(hex=event["id"]).version == 4 and len(event["id"]) == 32
    assert (event["charger"], event["kind"], event["protocol"]) == ("CP-1", "status", "ocpp1.6")
    assert AT.match(event["at"])
    assert event["data"] == {"connector_id": 0}


def test_every_event_gets_its_own_id():
    assert (
        make_event("CP-1", "heartbeat", "ocpp1.6")["id"]
        != make_event("CP-1", "heartbeat", "ocpp1.6")["id"]
    )


def test_timestamps_are_utc_with_milliseconds_and_z():
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 22, 21, 0, 0, 123456, tzinfo=paris)
    assert utc_timestamp(moment) == "2026-11-22T20:00:00.123Z"
    assert AT.match(utc_timestamp())
    assert utc_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    ("sent", "normalized"),
    [
        ("2026-11-22T20:00:00Z", "2026-11-22T20:00:00.000Z"),
        ("2026-11-22T20:00:00z", "2026-11-22T20:00:00.000Z"),
        ("2026-11-22T22:00:00+02:00", "2026-11-22T20:00:00.000Z"),
        ("2026-11-22T15:30:00-0430", "2026-11-22T20:00:00.000Z"),
        ("2026-11-22T20:00:00.1234567Z", "2026-11-22T20:00:00.123Z"),
        ("2026-11-22T21:00:00.5+01:00", "2026-11-22T20:00:00.500Z"),
        ("2026-11-22T20:00:00.999999999Z", "2026-11-22T20:00:00.999Z"),
        ("2026-11-22T20:00Z", "2026-11-22T20:00:00.000Z"),
        ("2026-11-22 20:00:00", "2026-11-22T20:00:00.000Z"),  # no zone: UTC, as OCPP says
        # Four-digit years at the ends of the range too (strftime wrote year 1 as "1").
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999Z"),
    ],
)
def test_charger_times_are_normalized_to_utc_with_milliseconds_and_z(sent, normalized):
    assert normalize_time(sent) == normalized


@pytest.mark.parametrize(
    "sent", ["", "2026-11-22", "yesterday", "2026-13-01T00:00:00Z", "2026-11-22T20:00:00+25:00", 7]
)
def test_what_is_not_a_date_and_time_is_refused(sent):
    with pytest.raises(ValueError):
        normalize_time(sent)
