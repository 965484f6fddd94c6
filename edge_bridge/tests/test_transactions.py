"""Transactions: ids from the bridge, never reused; repeats recognized; active ones tracked."""

import logging
import sqlite3
from datetime import UTC, datetime, timedelta

from arthexis_bridge import auth, transactions
from arthexis_bridge.app import Bridge
from arthexis_bridge.events import utc_timestamp
from arthexis_bridge.simulator import SimulatedCharger
from arthexis_bridge.state import connect

from .helpers import base_url, stored_events

AT = "2026-11-22T20:00:00Z"


def accept(*tags):
    return [auth.Entry(tag) for tag in tags]


async def put_tags(bridge, *tags):
    for entry in accept(*tags):
        await bridge.state.run(auth.put, entry)


async def test_transaction_ids_increase_and_are_never_reused_across_restarts(settings):
    async with Bridge(settings) as bridge:
        await put_tags(bridge, "A", "B")
        async with (
            SimulatedCharger(base_url(bridge), "CP-1") as one,
            SimulatedCharger(base_url(bridge), "CP-2") as two,
        ):
            first = (await one.start_transaction(1, "A", 0)).transaction_id
            second = (await two.start_transaction(1, "B", 0)).transaction_id
            await one.stop_transaction(first, 10)
    assert 0 < first < second
    # Even with the transaction rows gone, the counter remembers.
    db = sqlite3.connect(settings.outbox_path)
    with db:
        db.execute("DELETE FROM transactions")
    db.close()
    async with Bridge(settings) as bridge, SimulatedCharger(base_url(bridge), "CP-1") as one:
        third = (await one.start_transaction(2, "A", 0)).transaction_id
    assert third == second + 1


async def test_a_repeated_start_gets_the_same_id_and_is_sent_again(bridge, url, settings):
    await put_tags(bridge, "A")
    async with SimulatedCharger(url, "CP-1") as charger:
        first = await charger.start_transaction(1, "A", 500, timestamp=AT)
    # The answer was lost: the charger reconnects and sends the same start.
    async with SimulatedCharger(url, "CP-1") as charger:
        again = await charger.start_transaction(1, "A", 500, timestamp="2026-11-22T21:00:00+01:00")
        other = await charger.start_transaction(1, "A", 501, timestamp=AT)
    assert again.transaction_id == first.transaction_id
    assert again.id_tag_info == first.id_tag_info == {"status": "Accepted"}
    assert other.transaction_id not in (first.transaction_id, None)
    started = [e["data"] for e in stored_events(settings.outbox_path)]
    assert [d["transaction_id"] for d in started] == [
        str(first.transaction_id),
        str(first.transaction_id),
        str(other.transaction_id),
    ]
    assert started[0] == started[1]


async def test_a_stop_for_an_unknown_transaction_is_answered_and_flagged(bridge, url, settings):
    async with SimulatedCharger(url, "CP-1") as charger:
        with_tag = await charger.stop_transaction(4242, 100, id_tag="WHO", timestamp=AT)
        without_tag = await charger.stop_transaction(4243, 100, timestamp=AT)
    assert with_tag.id_tag_info == {"status": "Accepted"}
    assert without_tag.id_tag_info is None
    first, second = stored_events(settings.outbox_path)
    assert first["kind"] == "transaction_stopped"
    assert first["data"] == {
        "transaction_id": "4242",
        "meter_stop": 100,
        "timestamp": "2026-11-22T20:00:00.000Z",
        "reason": "Local",
        "id_tag": "WHO",
        "anomaly": {
            "code": "unknown_transaction",
            "detail": "the bridge has no transaction 4242",
        },
    }
    assert second["data"]["anomaly"]["code"] == "unknown_transaction"


async def test_a_stop_from_another_charger_is_unknown_and_a_repeated_stop_is_not(
    bridge, url, settings
):
    await put_tags(bridge, "A")
    async with (
        SimulatedCharger(url, "CP-1") as one,
        SimulatedCharger(url, "CP-2") as two,
    ):
        transaction_id = (await one.start_transaction(1, "A", 0)).transaction_id
        await two.stop_transaction(transaction_id, 10)
        await one.stop_transaction(transaction_id, 10)
        await one.stop_transaction(transaction_id, 10)  # answer lost, sent again
    stops = [e for e in stored_events(settings.outbox_path) if e["kind"] == "transaction_stopped"]
    assert [e["data"].get("anomaly", {}).get("detail") for e in stops] == [
        f"transaction {transaction_id} belongs to charger CP-1",
        None,
        None,
    ]


async def test_a_tag_charging_already_gets_concurrent_tx_until_it_stops(bridge, url, settings):
    await put_tags(bridge, "A")
    async with (
        SimulatedCharger(url, "CP-1") as one,
        SimulatedCharger(url, "CP-2") as two,
    ):
        charging = (await one.start_transaction(1, "A", 0)).transaction_id
        assert (await two.authorize("A")).id_tag_info == {"status": "ConcurrentTx"}
        refused = await two.start_transaction(1, "A", 0)
        assert refused.id_tag_info == {"status": "ConcurrentTx"}
        assert refused.transaction_id != charging, "a refused start still gets its own id"
        await two.stop_transaction(refused.transaction_id, 0, reason="DeAuthorized")
        assert (await two.authorize("A")).id_tag_info == {"status": "ConcurrentTx"}
        await one.stop_transaction(charging, 10)
        assert (await two.authorize("A")).id_tag_info == {"status": "Accepted"}
    decisions = [
        e["data"]["decision"]
        for e in stored_events(settings.outbox_path)
        if "decision" in e["data"]
    ]
    assert decisions[1] == {"status": "ConcurrentTx", "source": "cache"}


async def test_active_transactions_are_tracked_per_connector_across_restarts(settings, caplog):
    caplog.set_level(logging.WARNING, logger="arthexis_bridge")
    async with Bridge(settings) as bridge:
        await put_tags(bridge, "A", "B", "C")
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            old = (await charger.start_transaction(1, "A", 0, timestamp=AT)).transaction_id
            # Its stop was lost: a new start on the same connector ends it.
            new = (await charger.start_transaction(1, "B", 7, timestamp=AT)).transaction_id
            other = (await charger.start_transaction(2, "C", 0, timestamp=AT)).transaction_id
            await charger.stop_transaction(other, 5)
    assert f"transaction {old} was still active on connector 1" in caplog.text
    async with Bridge(settings) as bridge:
        active = await bridge.state.run(transactions.active, "CP-1")
        assert await bridge.state.run(transactions.active, "CP-2") == []
    assert active == [
        transactions.Active(new, "CP-1", 1, "B", 7, "2026-11-22T20:00:00.000Z"),
    ]


def test_stopped_transactions_are_forgotten_after_the_retention_but_ids_are_not(tmp_path):
    db = connect(tmp_path / "bridge.sqlite3")
    policy = auth.Policy(accept_unknown=True)
    try:
        first = transactions.start(db, "CP-1", 1, "A", 0, utc_timestamp(), policy)
        transactions.stop(db, "CP-1", first.transaction_id, None, policy)
        long_ago = datetime.now(UTC) - transactions.STOPPED_RETENTION - timedelta(minutes=1)
        with db:
            db.execute("UPDATE transactions SET stopped_at = ?", (utc_timestamp(long_ago),))
        second = transactions.start(db, "CP-1", 1, "A", 0, utc_timestamp(), policy)
        transactions.stop(db, "CP-1", second.transaction_id, None, policy)
        (count,) = db.execute("SELECT count(*) FROM transactions").fetchone()
        again = transactions.stop(db, "CP-1", first.transaction_id, None, policy)
    finally:
        db.close()
    assert count == 1
    assert again.unknown == f"the bridge has no transaction {first.transaction_id}"
    assert second.transaction_id == first.transaction_id + 1
