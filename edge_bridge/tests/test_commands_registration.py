"""Commands wait for the charger's registration: after its BootNotification (or a
few seconds without one, for a charger back from a network drop), all of them
when Accepted, only what configures it when Pending, none when Rejected. What
may not go stays queued in Odoo, unclaimed."""

import asyncio
import dataclasses

import pytest
import websockets
from ocpp.exceptions import GenericError

from arthexis_bridge import chargers
from arthexis_bridge.app import Bridge
from arthexis_bridge.protocols import ocpp16
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import base_url, call, eventually
from .test_commands import CommandOdoo

CHANGE = {"key": "HeartbeatInterval", "value": "9"}
START = {"idTag": "CARD", "connectorId": 1}


async def test_a_command_waiting_for_a_charger_goes_out_after_its_boot_is_answered(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        reset = odoo.queue("CP-1", "Reset", {"type": "Soft"})
        url = f"{base_url(bridge)}/CP-1"
        async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
            await asyncio.sleep(0.5)  # connected, still booting: nothing is sent
            assert odoo.queued[reset]["state"] == "queued"
            boot = {"chargePointVendor": "Acme", "chargePointModel": "A1"}
            answer = await call(ws, "b1", "BootNotification", boot)
            assert answer[2]["status"] == "Accepted"
            # The next frame is the command: the BootNotification was answered first.
            frame = await asyncio.wait_for(ws.recv(), 2)
            assert frame.startswith("[2,") and '"Reset"' in frame


async def test_a_charger_back_without_booting_gets_its_commands(settings, monkeypatch):
    monkeypatch.setattr(ocpp16, "BOOT_GRACE", 0.3)
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        first = odoo.queue("CP-1", "ClearCache", {})
        second = odoo.queue("CP-2", "ClearCache", {})
        async with (
            SimulatedCharger(base_url(bridge), "CP-1") as talking,
            SimulatedCharger(base_url(bridge), "CP-2") as quiet,
        ):
            # It goes on as it was: a Heartbeat shows it registered already.
            await talking.heartbeat()
            await eventually(lambda: first in odoo.results, within=1, what="its command")
            # It says nothing: its commands go once the grace for a boot is over.
            await eventually(lambda: second in odoo.results, within=2, what="the quiet one's")
            assert quiet.received_calls("ClearCache") == [{}]


async def test_a_pending_charger_gets_only_what_configures_it(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await bridge.state.run(chargers.put, chargers.Charger("CP-1", chargers.PENDING))
        start = odoo.queue("CP-1", "RemoteStartTransaction", START)
        change = odoo.queue("CP-1", "ChangeConfiguration", CHANGE)
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            assert (await charger.boot()).status == "Pending"
            await eventually(lambda: change in odoo.results, what="the configuration change")
            trigger = odoo.queue("CP-1", "TriggerMessage", {"requestedMessage": "Heartbeat"})
            # Asked for when it boots again (a Pending charger does, every interval).
            await charger.boot()
            await eventually(lambda: trigger in odoo.results, what="the trigger")
            # The message asked for is taken, once; the charger's own are not.
            await eventually(lambda: charger.answered == 3, what="the triggered Heartbeat")
            with pytest.raises(GenericError):
                await charger.heartbeat()
        assert charger.configuration["HeartbeatInterval"][0] == "9"
        assert [action for _t, action, _p in charger.received] == [
            "ChangeConfiguration",
            "TriggerMessage",
        ]
        assert odoo.queued[start]["state"] == "queued", "left in Odoo, not claimed"
        assert all(wait == 0 for wait, _chargers in odoo.polls), "never in a long poll"
        await eventually(lambda: len(odoo.events) == 3, what="the events delivered")
    assert [event["kind"] for event in odoo.events] == ["boot", "boot", "heartbeat"]


async def test_a_rejected_charger_is_sent_nothing(settings):
    settings = dataclasses.replace(settings, unknown_chargers="reject")
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await bridge.state.run(chargers.put, chargers.Charger("CP-1", chargers.REJECTED))
        reset = odoo.queue("CP-1", "Reset", {"type": "Soft"})
        trigger = odoo.queue("CP-1", "TriggerMessage", {"requestedMessage": "BootNotification"})
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            assert (await charger.boot()).status == "Rejected"
            await asyncio.sleep(0.5)
        assert charger.received == []
        assert odoo.queued[reset]["state"] == odoo.queued[trigger]["state"] == "queued"
        assert odoo.results == {}
