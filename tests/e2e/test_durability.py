"""Nothing a charger was told was stored is lost, even when the bridge is killed."""

import asyncio
import uuid

import websockets

from arthexis_bridge.simulator import SimulatedCharger
from tests.harness.wait import wait_for

CHARGERS = 10


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
