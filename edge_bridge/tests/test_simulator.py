"""The simulator behaves like a charger's first minutes: boot, connectors, heartbeats."""

from collections import Counter

import pytest
from websockets.exceptions import InvalidStatus

from arthexis_bridge.simulator import SimulatedCharger

from .helpers import stored_events


async def test_run_boots_reports_every_connector_available_then_heartbeats(bridge, url, settings):
    charger = SimulatedCharger(url, "SIM-1", connectors=3)
    await charger.run(duration=0.35, heartbeat_interval=0.1)
    events = stored_events(settings.outbox_path)
    kinds = [event["kind"] for event in events]
    assert kinds[:4] == ["boot", "status", "status", "status"]
    assert [e["data"]["connector_id"] for e in events[1:4]] == [1, 2, 3]
    assert {e["data"]["status"] for e in events[1:4]} == {"Available"}
    assert 2 <= Counter(kinds)["heartbeat"] <= 3
    assert charger.answered == len(events)
    assert charger.heartbeat_interval == 120
    assert charger.connection is None, "run closes the connection it opened"


async def test_a_refused_simulator_raises_the_handshake_status(bridge):
    charger = SimulatedCharger(f"ws://127.0.0.1:{bridge.port}/wrong", "SIM-1")
    with pytest.raises(InvalidStatus):
        await charger.connect()
