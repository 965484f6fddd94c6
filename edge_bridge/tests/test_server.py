"""The websocket server: the handshake refuses what it cannot serve; one connection per id."""

import asyncio
import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from arthexis_bridge.server import charge_point_id
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import eventually, stored_events


@pytest.mark.parametrize(
    "path",
    ["/", "/ocpp", "/ocpp/", "/ocpp/CP-1/extra", "/other/CP-1", "/ocpp/a%2Fb", "/ocpp/" + "x" * 49],
)
async def test_a_path_other_than_ocpp_charge_point_id_gets_404(bridge, path):
    with pytest.raises(InvalidStatus) as caught:
        async with connect(f"ws://127.0.0.1:{bridge.port}{path}", subprotocols=["ocpp1.6"]):
            pass
    assert caught.value.response.status_code == 404
    assert b"/ocpp/<charge point id>" in caught.value.response.body


@pytest.mark.parametrize("offered", [None, ["ocpp2.0.1"], ["ocpp1.5", "chat"]])
async def test_a_charger_offering_no_supported_subprotocol_is_refused_with_400(
    bridge, url, offered, caplog
):
    with pytest.raises(InvalidStatus) as caught:
        async with connect(f"{url}/CP-1", subprotocols=offered):
            pass
    assert caught.value.response.status_code == 400
    assert b"ocpp1.6" in caught.value.response.body
    assert "charger CP-1 refused" in caplog.text
    assert not bridge.server.chargers


async def test_a_supported_subprotocol_among_others_is_chosen(bridge, url):
    async with connect(f"{url}/CP-1", subprotocols=["ocpp2.0.1", "ocpp1.6"]) as websocket:
        assert websocket.subprotocol == "ocpp1.6"


async def test_the_charge_point_id_is_url_decoded(bridge, url, settings):
    async with SimulatedCharger(url, "Borne #7 é") as charger:
        assert charger.url.endswith("/Borne%20%237%20%C3%A9")
        await charger.heartbeat()
        assert set(bridge.server.chargers) == {"Borne #7 é"}
    assert stored_events(settings.outbox_path)[0]["charger"] == "Borne #7 é"


def test_charge_point_id_parsing():
    assert charge_point_id("/ocpp/CP-1") == "CP-1"
    assert charge_point_id("/ocpp/CP-1?token=x") == "CP-1"
    assert charge_point_id("/ocpp/" + "x" * 48) == "x" * 48
    assert charge_point_id("/ocpp/%41%42") == "AB"
    assert charge_point_id("/ocpp/a%2fb") is None
    assert charge_point_id("/OCPP/CP-1") is None


async def test_connected_chargers_are_tracked_and_forgotten_on_disconnect(bridge, url, caplog):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    async with SimulatedCharger(url, "CP-1"), SimulatedCharger(url, "CP-2"):
        await eventually(lambda: len(bridge.server.chargers) == 2, what="two chargers")
        assert bridge.server.chargers["CP-1"].protocol == "ocpp1.6"
    await eventually(lambda: not bridge.server.chargers, what="chargers to be forgotten")
    assert "charger CP-1 connected from 127.0.0.1" in caplog.text
    assert "charger CP-2 disconnected" in caplog.text


async def test_a_reconnect_with_the_same_id_replaces_the_old_connection(
    bridge, url, settings, caplog
):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as old:
        await eventually(lambda: "CP-1" in bridge.server.chargers, what="the first connection")
        first = bridge.server.chargers["CP-1"]
        async with SimulatedCharger(url, "CP-1") as new:
            # The old connection is closed by the bridge...
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(old.recv(), 5)
            assert old.close_reason == "replaced by a new connection"
            # ...the new one is the charger's now, and stays so once the old one is gone.
            await eventually(lambda: "charger CP-1 disconnected" in caplog.text, what="old gone")
            assert bridge.server.chargers["CP-1"] is not first
            assert bridge.server.chargers["CP-1"].connection.id != first.connection.id
            await new.heartbeat()
    kinds = [event["kind"] for event in stored_events(settings.outbox_path)]
    assert kinds == ["heartbeat"]


async def test_stopping_the_bridge_closes_charger_connections(bridge, url):
    async with connect(f"{url}/CP-1", subprotocols=["ocpp1.6"]) as websocket:
        await eventually(lambda: bridge.server.chargers, what="the charger")
        await bridge.stop()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(websocket.recv(), 5)
        assert websocket.close_code == 1001  # going away
