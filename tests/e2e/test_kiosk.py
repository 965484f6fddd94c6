"""Kiosk: a card tapped at the node's reader starts a session on a charger that has
no reader of its own, and tapped again stops it. Real Odoo, the bridge started by
its CLI with the fake reader (a FIFO in its data directory), a simulated charger."""

import os
import uuid

import pytest

from arthexis_bridge.simulator import SimulatedCharger
from tests.e2e.conftest import LOGS, until
from tests.harness.site import BridgeProcess

KIOSK_CONNECTOR = 2


@pytest.fixture
def kiosk(odoo, tmp_path):
    """A node whose bridge runs a kiosk for charger KIOSK-…, connector 2."""
    node_id, login, key = odoo.bridge_login()
    cp_id = f"KIOSK-{uuid.uuid4().hex[:6]}"
    settings = odoo.bridge_env(login, key)
    settings.update(
        ARTHEXIS_BRIDGE_RFID="fake",
        ARTHEXIS_BRIDGE_RFID_DEBOUNCE="0.2",
        ARTHEXIS_BRIDGE_LCD="fake",
        ARTHEXIS_BRIDGE_KIOSK_CHARGER=cp_id,
        ARTHEXIS_BRIDGE_KIOSK_CONNECTOR=str(KIOSK_CONNECTOR),
    )
    bridge = BridgeProcess(tmp_path / "bridge-data", LOGS / "e2e-kiosk-bridge.log", settings)
    bridge.start()
    yield node_id, cp_id, bridge
    bridge.stop()


def tap(bridge, uid):
    """Hold a card to the node's (fake) reader."""
    fifo = os.open(bridge.data_dir / "rfid-scans", os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fifo, f"{uid}\n".encode())
    finally:
        os.close(fifo)


def scan_result(odoo, node_id):
    [node] = odoo.call("arthexis.node", "read", [node_id], ["last_scan_result"])
    return node["last_scan_result"]


def sessions(odoo, cp_id):
    return odoo.call(
        "ocpp.transaction",
        "search_read",
        [("charger_id.charge_point_id", "=", cp_id)],
        fields=["id_tag", "state", "stop_reason", "connector_id"],
    )


async def test_a_tap_starts_a_session_and_a_second_tap_stops_it(odoo, kiosk):
    node_id, cp_id, bridge = kiosk
    uid = f"04{uuid.uuid4().hex[:12].upper()}"
    odoo.call("arthexis.rfid", "create", {"uid": uid, "label": "Kiosk driver"})
    charger = SimulatedCharger(bridge.url, cp_id, connectors=2)
    charger.meter_interval = 0.2
    await charger.connect()
    try:
        await charger.boot()
        tap(bridge, uid)  # a card the bridge's cache has not seen: it asks Odoo
        await until(lambda: charger.received_calls("RemoteStartTransaction"), 15, "remote start")
        assert charger.received_calls("RemoteStartTransaction") == [
            {"idTag": uid, "connectorId": KIOSK_CONNECTOR}
        ]
        [session] = await until(lambda: sessions(odoo, cp_id), 30, "the session in Odoo")
        assert (session["id_tag"], session["state"]) == (uid, "active")
        assert session["connector_id"][1].endswith(str(KIOSK_CONNECTOR))
        result = await until(lambda: scan_result(odoo, node_id), 30, "the tap on the node")
        assert result == f"Accepted; RemoteStartTransaction on {cp_id}: Accepted"

        tap(bridge, uid.lower())  # the same card, read another way: same card
        await until(lambda: charger.received_calls("RemoteStopTransaction"), 15, "remote stop")

        def ended():
            rows = sessions(odoo, cp_id)
            return rows if rows[0]["state"] != "active" else None

        [session] = await until(ended, 30, "the session ended in Odoo")
        assert session["stop_reason"] == "Remote"
        await until(
            lambda: "RemoteStopTransaction" in (scan_result(odoo, node_id) or ""),
            30,
            "the stop on the node",
        )
    finally:
        await charger.close()


async def test_a_blocked_card_starts_nothing_and_says_why(odoo, kiosk):
    node_id, cp_id, bridge = kiosk
    uid = f"04{uuid.uuid4().hex[:12].upper()}"
    odoo.call("arthexis.rfid", "create", {"uid": uid, "label": "Lost", "allowed": False})
    charger = SimulatedCharger(bridge.url, cp_id, connectors=2)
    await charger.connect()
    try:
        await charger.boot()
        tap(bridge, uid)
        result = await until(lambda: scan_result(odoo, node_id), 30, "the tap on the node")
        assert result == f"Blocked; nothing sent to {cp_id}"
        assert charger.received_calls("RemoteStartTransaction") == []
        assert sessions(odoo, cp_id) == []
    finally:
        await charger.close()


async def test_a_tap_while_the_charger_is_away_sends_nothing(odoo, kiosk):
    node_id, cp_id, bridge = kiosk
    uid = f"04{uuid.uuid4().hex[:12].upper()}"
    odoo.call("arthexis.rfid", "create", {"uid": uid, "label": "Early bird"})
    tap(bridge, uid)
    result = await until(lambda: scan_result(odoo, node_id), 30, "the tap on the node")
    # The decision is the bridge cache's (Odoo is asked only with the charger there).
    assert result.endswith(f"; {cp_id} was offline: nothing sent")
