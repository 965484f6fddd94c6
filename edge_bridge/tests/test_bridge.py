"""The bridge as a whole: durable across restarts, standalone or syncing."""

import asyncio
import dataclasses
import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from arthexis_bridge.app import Bridge
from arthexis_bridge.outbox import OutboxError
from arthexis_bridge.settings import OdooSettings
from arthexis_bridge.simulator import SimulatedCharger
from arthexis_bridge.sync import Backoff

from .helpers import QuietOdoo, eventually


class RecordingOdoo(QuietOdoo):
    """An OdooClient that confirms everything and keeps what it got."""

    def __init__(self):
        self.events = []

    async def ingest(self, events):
        self.events.extend(events)
        return [event["id"] for event in events]


async def test_events_survive_a_bridge_restart_in_order(settings):
    async with Bridge(settings) as bridge:
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-1") as charger:
            await charger.boot()
            await charger.status(1, "Available")
            await charger.status(2, "Charging")
            await charger.heartbeat()
    async with Bridge(settings) as restarted:
        pending = await restarted.outbox.peek(100)
    assert [(e["kind"], e["data"].get("status")) for e in pending] == [
        ("boot", None),
        ("status", "Available"),
        ("status", "Charging"),
        ("heartbeat", None),
    ]


async def test_a_standalone_bridge_says_where_it_keeps_events(settings, caplog):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    async with Bridge(settings) as bridge:
        assert bridge.sync is None
        port = bridge.port
    assert port > 0
    assert f"listening for chargers on ws://127.0.0.1:{port}/ocpp/" in caplog.text
    assert (
        "standalone: no Odoo configured; events are kept in "
        f"{settings.outbox_path} until Odoo is configured"
    ) in caplog.text


async def test_a_bridge_with_odoo_settings_says_where_it_syncs(settings, caplog):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    odoo = OdooSettings("http://127.0.0.1:9", "arthexis", "bridge-1", "key")
    with_odoo = dataclasses.replace(settings, odoo=odoo)
    async with Bridge(with_odoo, sync_backoff=Backoff(initial=10)) as bridge:
        assert bridge.sync is not None
    assert "syncing to Odoo at http://127.0.0.1:9 db arthexis" in caplog.text


async def test_events_from_chargers_reach_odoo_and_leave_the_outbox(settings):
    odoo = RecordingOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        await SimulatedCharger(url, "CP-1", connectors=2).run(duration=0)

        async def drained():
            return len(odoo.events) == 3 and await bridge.outbox.depth() == 0

        await eventually(drained, what="delivery to Odoo")
    assert [(e["charger"], e["kind"]) for e in odoo.events] == [
        ("CP-1", "boot"),
        ("CP-1", "status"),
        ("CP-1", "status"),
    ]


async def test_events_kept_while_standalone_are_delivered_once_odoo_is_configured(settings):
    async with Bridge(settings) as bridge:
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-1") as charger:
            await charger.heartbeat()
    odoo = RecordingOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await eventually(lambda: odoo.events, what="the kept event")
    assert [e["kind"] for e in odoo.events] == ["heartbeat"]


async def test_run_serves_until_asked_to_stop_then_closes_everything(settings):
    bridge = Bridge(settings)
    running = asyncio.create_task(bridge.run())

    def listening():
        try:
            return bridge.port
        except RuntimeError:
            return None

    port = await eventually(listening, what="the bridge to listen")
    async with connect(f"ws://127.0.0.1:{port}/ocpp/CP-1", subprotocols=["ocpp1.6"]) as ws:
        bridge.request_stop()
        await asyncio.wait_for(running, 5)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    with pytest.raises(OutboxError):
        await bridge.outbox.depth()


class FloorOdoo(QuietOdoo):
    """Odoo holding sessions up to transaction id ``floor`` for this node."""

    def __init__(self, floor):
        self.floor = floor

    async def transaction_floor(self):
        return self.floor


async def test_a_new_data_dir_counts_transaction_ids_on_from_what_odoo_holds(settings, caplog):
    caplog.set_level(logging.WARNING, logger="arthexis_bridge")
    async with Bridge(settings, odoo_client=FloorOdoo(41)) as bridge:
        async with SimulatedCharger(f"ws://127.0.0.1:{bridge.port}/ocpp", "CP-1") as charger:
            await charger.boot()
            started = await charger.start_transaction(1, "TAG", 0)
    assert started.transaction_id == 42, "never an id Odoo already holds"
    assert "Odoo holds ids up to 41" in caplog.text
    # A floor below the bridge's own counter changes nothing.
    async with Bridge(settings, odoo_client=FloorOdoo(5)) as bridge:
        async with SimulatedCharger(f"ws://127.0.0.1:{bridge.port}/ocpp", "CP-1") as charger:
            await charger.boot()
            started = await charger.start_transaction(2, "TAG2", 0)
    assert started.transaction_id == 43
