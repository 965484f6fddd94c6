"""The simulator behaves like a charger's first minutes: boot, connectors, heartbeats."""

from collections import Counter

import pytest
from websockets.exceptions import InvalidStatus

from arthexis_bridge import auth
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


async def test_a_session_authorizes_starts_reports_meter_values_and_stops(bridge, url, settings):
    await bridge.state.run(auth.put, auth.Entry("DRIVER"))
    async with SimulatedCharger(url, "SIM-1", power_w=36_000) as charger:
        assert await charger.charge(2, "DRIVER", energy_wh=2, meter_interval=0.05)
    assert charger.registers == {1: 0, 2: 2}
    events = stored_events(settings.outbox_path)
    steps = [(e["kind"], e["data"].get("status")) for e in events if e["kind"] != "meter_values"]
    assert steps == [
        ("authorize", None),
        ("status", "Preparing"),
        ("transaction_started", None),
        ("status", "Charging"),
        ("transaction_stopped", None),
        ("status", "Available"),
    ]
    readings = [e["data"]["samples"] for e in events if e["kind"] == "meter_values"]
    assert [float(energy["value"]) for energy, _ in readings] == [0.5, 1, 1.5, 2]
    assert {(energy["measurand"], power["measurand"]) for energy, power in readings} == {
        ("Energy.Active.Import.Register", "Power.Active.Import")
    }
    assert {power["value"] for _, power in readings} == {"36000"}
    stopped = next(e["data"] for e in events if e["kind"] == "transaction_stopped")
    assert (stopped["meter_stop"], stopped["id_tag"], stopped["reason"]) == (2, "DRIVER", "Local")


async def test_run_charges_sessions_and_stops_the_last_one_at_the_deadline(bridge, url, settings):
    await bridge.state.run(auth.put, auth.Entry("DRIVER"))
    charger = SimulatedCharger(url, "SIM-1", connectors=1)
    await charger.run(0.3, 10, sessions=3, meter_interval=0.05, session_kwh=10, id_tag="DRIVER")
    assert (charger.sessions_completed, charger.sessions_refused) == (1, 0)
    kinds = [event["kind"] for event in stored_events(settings.outbox_path)]
    assert kinds.count("transaction_started") == kinds.count("transaction_stopped") == 1


async def test_refused_sessions_are_counted_and_the_charger_goes_on(bridge, url, settings):
    charger = SimulatedCharger(url, "SIM-1")
    await charger.run(0.5, 0.1, sessions=2, meter_interval=0.05, session_kwh=1)
    assert (charger.sessions_completed, charger.sessions_refused) == (0, 2)
    events = stored_events(settings.outbox_path)
    assert [e["data"]["id_tag"] for e in events if e["kind"] == "authorize"] == ["SIM-1"] * 2
    assert any(e["kind"] == "heartbeat" for e in events)
