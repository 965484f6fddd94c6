"""Events follow docs/events.md."""

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

from arthexis_bridge.events import make_event, utc_timestamp

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
