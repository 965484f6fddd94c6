"""A charging session through the edge bridge, priced later in Odoo, starts here."""

import asyncio
import uuid

from arthexis_bridge.simulator import SimulatedCharger
from tests.harness.wait import wait_for

TAG = "04E2A1B2C3D4E5"  # a card made in Odoo by staff


def session_in_odoo(odoo, cp_id):
    rows = odoo.call(
        "ocpp.transaction",
        "search_read",
        [("charger_id.charge_point_id", "=", cp_id)],
        fields=["state", "id_tag", "energy_kwh", "auth_source", "stop_reason", "meter_value_ids"],
    )
    return rows[0] if rows and rows[0]["state"] != "active" else None


async def test_a_whole_session_arrives_with_its_energy_and_meter_values(odoo, bridge):
    odoo.call("arthexis.rfid", "create", {"uid": TAG, "label": "E2E card"})
    cp_id = f"E2E-{uuid.uuid4().hex[:6]}"
    # 36 kW and a 0.1 s meter interval: 1 Wh per reading, 20 readings.
    async with SimulatedCharger(bridge.url, cp_id, connectors=1, power_w=36_000) as charger:
        await charger.boot()
        assert await charger.charge(1, TAG, energy_wh=20, meter_interval=0.1)

    session = await asyncio.to_thread(
        wait_for, lambda: session_in_odoo(odoo, cp_id), 30, "the completed session in Odoo"
    )
    assert session["state"] == "completed"
    assert session["id_tag"] == TAG
    # Asked of Odoo at Authorize, then answered from the cache at StartTransaction.
    assert session["auth_source"] in ("cache", "odoo")
    assert abs(session["energy_kwh"] - 0.020) < 1e-6
    # Each reading carries energy and power: both are kept.
    assert len(session["meter_value_ids"]) >= 2 * 19


async def test_cards_made_in_odoo_decide_at_the_charger(odoo, bridge):
    allowed, blocked = "04C0FFEE010201", "04C0FFEE010202"
    for uid, ok in ((allowed, True), (blocked, False)):
        odoo.call("arthexis.rfid", "create", {"uid": uid, "allowed": ok})
    cp_id = f"E2E-{uuid.uuid4().hex[:6]}"
    async with SimulatedCharger(bridge.url, cp_id, connectors=1) as charger:
        await charger.boot()
        # Asked of Odoo online (or already in the cache the bridge pulled): either
        # way Odoo's cards decide.
        assert (await charger.authorize(allowed)).id_tag_info["status"] == "Accepted"
        assert (await charger.authorize(blocked)).id_tag_info["status"] == "Blocked"
        assert (await charger.authorize("04DEADBEEF")).id_tag_info["status"] == "Invalid"
