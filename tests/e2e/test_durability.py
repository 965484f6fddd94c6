"""Nothing a charger was told was stored is lost, even when the bridge is killed."""

import asyncio
import uuid

import websockets

from arthexis_bridge.simulator import SimulatedCharger
from tests.harness.wait import wait_for

CHARGERS = 10
TAG_PREFIX = "04E2A1B2C3D5"  # + 2 hex digits: a 7-byte UID per charger


async def chatter(charger, sent):
    """Send calls back to back until the connection drops; count what was sent."""
    await charger.boot()
    sent[charger.id] = 1
    n = 0
    try:
        while True:
            n += 1
            sent[charger.id] += 1
            if n % 2:
                await charger.heartbeat()
            else:
                await charger.status(1, "Available" if n % 4 else "Preparing")
    except (TimeoutError, websockets.ConnectionClosed, OSError):
        return


def ledger_counts(odoo, prefix):
    groups = odoo.call(
        "ocpp.event",
        "read_group",
        [("charge_point_id", "=like", f"{prefix}%")],
        ["charge_point_id"],
        ["charge_point_id"],
    )
    return {g["charge_point_id"]: g["charge_point_id_count"] for g in groups}


async def test_kill_9_under_load_loses_and_duplicates_nothing_acknowledged(odoo, bridge):
    prefix = f"K9-{uuid.uuid4().hex[:4]}-"
    chargers = [
        SimulatedCharger(bridge.url, f"{prefix}{i:02d}", connectors=1, response_timeout=5)
        for i in range(CHARGERS)
    ]
    for charger in chargers:
        await charger.connect()
    sent = {}
    load = [asyncio.create_task(chatter(charger, sent)) for charger in chargers]
    await asyncio.sleep(3)
    bridge.kill()
    await asyncio.wait_for(asyncio.gather(*load), 30)
    answered = {charger.id: charger.answered for charger in chargers}
    for charger in chargers:
        await charger.close()
    assert sum(answered.values()) > 10 * CHARGERS, "the chargers were busy when it died"

    await asyncio.to_thread(bridge.start)

    def delivered():
        counts = ledger_counts(odoo, prefix)
        return counts if all(counts.get(i, 0) >= n for i, n in answered.items()) else None

    counts = await asyncio.to_thread(wait_for, delivered, 60, "every acknowledged event in Odoo")
    for cp_id, acknowledged in answered.items():
        # At least what was acknowledged; at most what was sent (a call can be stored
        # and then killed before its answer went out): never a duplicate.
        assert acknowledged <= counts[cp_id] <= sent[cp_id], (cp_id, acknowledged, counts, sent)


async def test_an_odoo_outage_under_load_stops_no_charging_and_drains_in_order(odoo, bridge):
    prefix = f"OUT-{uuid.uuid4().hex[:4]}-"
    chargers = [
        SimulatedCharger(bridge.url, f"{prefix}{i:02d}", connectors=1) for i in range(CHARGERS)
    ]
    # One card per driver: one card may not charge twice at once (ConcurrentTx).
    tags = [f"{TAG_PREFIX}{i:02X}" for i in range(CHARGERS)]
    odoo.call("arthexis.rfid", "create", [{"uid": tag} for tag in tags])
    for charger, tag in zip(chargers, tags, strict=True):
        await charger.connect()
        await charger.boot()
        # The bridge learns the card from Odoo while Odoo is up, then decides alone.
        assert (await charger.authorize(tag)).id_tag_info["status"] == "Accepted"
    await asyncio.to_thread(odoo.stop)
    # Sessions under way while Odoo is away: every call is still answered.
    sessions = [
        charger.start_transaction(1, tag, 0) for charger, tag in zip(chargers, tags, strict=True)
    ]
    started = await asyncio.gather(*sessions)
    sent = 0
    for reading in range(1, 11):
        await asyncio.gather(
            *(
                charger.meter_values(1, start.transaction_id, reading * 100, 7200)
                for charger, start in zip(chargers, started, strict=True)
            )
        )
        sent += CHARGERS
    answered = {charger.id: charger.answered for charger in chargers}
    for charger in chargers:
        await charger.close()
    await asyncio.to_thread(odoo.start)

    def drained():
        counts = ledger_counts(odoo, prefix)
        return counts if all(counts.get(i, 0) >= n for i, n in answered.items()) else None

    counts = await asyncio.to_thread(wait_for, drained, 120, "the backlog to drain into Odoo")
    assert counts == answered, "each acknowledged event exactly once"
    for charger in chargers:
        rows = odoo.call(
            "ocpp.event",
            "search_read",
            [("charge_point_id", "=", charger.id)],
            fields=["event_at", "kind"],
            order="id",
        )
        times = [row["event_at"] for row in rows]
        assert times == sorted(times), f"{charger.id}: applied in the order it happened"
        kinds = [row["kind"] for row in rows]
        assert kinds[0] == "boot"
        assert kinds.index("transaction_started") < kinds.index("meter_values")
    sessions = odoo.call(
        "ocpp.transaction",
        "search_read",
        [("charger_id.charge_point_id", "=like", f"{prefix}%")],
        fields=["energy_kwh", "auth_status"],
    )
    assert len(sessions) == CHARGERS
    assert {(round(s["energy_kwh"], 3), s["auth_status"]) for s in sessions} == {(1.0, "Accepted")}
