"""Sync: drain the outbox oldest first, remove only what Odoo confirmed, retry with backoff."""

import asyncio
import logging
import xmlrpc.client

import pytest

from arthexis_bridge.events import make_event
from arthexis_bridge.odoo_client import OdooClient
from arthexis_bridge.outbox import Outbox
from arthexis_bridge.sync import Backoff, Sync

from .helpers import QuietOdoo, eventually


class ScriptedOdoo(QuietOdoo):
    """An OdooClient whose answers the test scripts: a list of ids, a callable or an error."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.batches = []

    async def ingest(self, events):
        self.batches.append([event["id"] for event in events])
        answer = self.answers.pop(0) if self.answers else (lambda ids: ids)
        if isinstance(answer, BaseException):
            raise answer
        return answer([event["id"] for event in events])


class RecordingBackoff(Backoff):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.delays = []

    def next(self):
        delay = super().next()
        self.delays.append(delay)
        return delay


@pytest.fixture
async def outbox(tmp_path):
    async with Outbox(tmp_path / "bridge.sqlite3") as opened:
        yield opened


async def fill(outbox, count):
    events = [make_event("CP-1", "status", "ocpp1.6", {"connector_id": n}) for n in range(count)]
    for event in events:
        await outbox.append(event)
    return [event["id"] for event in events]


async def run_until(sync, condition, what):
    task = asyncio.create_task(sync.run())
    try:
        await eventually(condition, what=what)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_scripted_odoo_implements_the_client_interface():
    client: OdooClient = ScriptedOdoo()
    assert callable(client.ingest)


async def test_only_the_ids_odoo_confirmed_leave_the_outbox(outbox):
    ids = await fill(outbox, 4)
    odoo = ScriptedOdoo(lambda sent: [sent[0], sent[2], "someone-else"])
    sync = Sync(outbox, odoo, batch_size=10)
    assert await sync.deliver_batch() == 2
    assert [event["id"] for event in await outbox.peek(10)] == [ids[1], ids[3]]
    assert sync.delivered == 2


async def test_batches_are_sent_oldest_first_until_the_outbox_is_empty(outbox):
    ids = await fill(outbox, 5)
    odoo = ScriptedOdoo()
    sync = Sync(outbox, odoo, batch_size=2)
    await run_until(sync, lambda: len(odoo.batches) == 3, what="three batches")
    assert odoo.batches == [ids[0:2], ids[2:4], ids[4:5]]
    assert await outbox.depth() == 0


async def test_failures_are_retried_with_growing_delays_then_delivered(outbox, caplog):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    ids = await fill(outbox, 3)
    fault = xmlrpc.client.Fault(1, "Traceback (most recent call last):\n...\nKeyError: 'x'\n")
    odoo = ScriptedOdoo(
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        fault,
        lambda sent: [],  # answered but confirmed nothing: also a failure
    )
    backoff = RecordingBackoff(initial=0.01, maximum=0.03, jitter=0)
    sync = Sync(outbox, odoo, batch_size=10, backoff=backoff)

    async def delivered():
        return await outbox.depth() == 0

    await run_until(sync, delivered, what="the outbox to drain")
    assert odoo.batches == [ids] * 5
    assert sync.failures == 4
    assert backoff.delays == [0.01, 0.02, 0.03, 0.03]
    assert backoff.next() == 0.01, "a success resets the backoff"
    assert "cannot deliver events to Odoo (ConnectionRefusedError" in caplog.text
    assert "Odoo fault: KeyError: 'x'" in caplog.text
    assert "Odoo confirmed none of the 3 events" in caplog.text
    assert "delivering events to Odoo again" in caplog.text


async def test_sync_sleeps_while_the_outbox_is_empty_and_wakes_on_append(outbox):
    odoo = ScriptedOdoo()
    sync = Sync(outbox, odoo, wake_interval=60)
    task = asyncio.create_task(sync.run())
    try:
        await asyncio.sleep(0.05)
        assert odoo.batches == []
        [event_id] = await fill(outbox, 1)
        await eventually(lambda: odoo.batches == [[event_id]], within=2, what="delivery")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_sync_also_wakes_up_periodically(outbox):
    odoo = ScriptedOdoo()
    sync = Sync(outbox, odoo, wake_interval=0.05)
    task = asyncio.create_task(sync.run())
    try:
        await asyncio.sleep(0.02)
        # An event the append signal did not announce (say, written before a restart).
        [event_id] = await fill(outbox, 1)
        outbox.appended.clear()
        await eventually(lambda: odoo.batches == [[event_id]], within=2, what="delivery")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_backoff_doubles_up_to_the_maximum_and_resets():
    backoff = Backoff(initial=1, maximum=60, jitter=0)
    assert [backoff.next() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.reset()
    assert backoff.next() == 1


def test_backoff_jitter_only_shortens_delays():
    assert Backoff(initial=10, jitter=0.2, rng=lambda: 1.0).next() == pytest.approx(8)
    assert Backoff(initial=10, jitter=0.2, rng=lambda: 0.0).next() == 10
    delays = [Backoff(initial=10, jitter=0.5).next() for _ in range(50)]
    assert all(5 <= delay <= 10 for delay in delays)
    assert len(set(delays)) > 1


async def test_lanes_overlap_ingest_calls_and_keep_each_chargers_order(outbox):
    events = [
        make_event(f"CP-{n % 8}", "status", "ocpp1.6", {"connector_id": n}) for n in range(80)
    ]
    for event in events:
        await outbox.append(event)

    class SlowOdoo(ScriptedOdoo):
        in_flight = peak = 0

        async def ingest(self, events):
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            await asyncio.sleep(0.02)
            self.in_flight -= 1
            return await super().ingest(events)

    odoo = SlowOdoo()
    sync = Sync(outbox, odoo, batch_size=5, lanes=4)

    async def drained():
        return await outbox.depth() == 0

    await run_until(sync, drained, what="the outbox to drain")
    assert odoo.peak > 1, "several batches were in Odoo at once"
    delivered = [event_id for batch in odoo.batches for event_id in batch]
    assert sorted(delivered) == sorted(event["id"] for event in events), "each event once"
    for cp in range(8):
        mine = [event["id"] for event in events if event["charger"] == f"CP-{cp}"]
        assert [i for i in delivered if i in mine] == mine, f"CP-{cp}'s events in order"
