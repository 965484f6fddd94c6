"""The SQLite outbox: durable, ordered, group-committed, off the event loop."""

import asyncio
import sqlite3

import pytest

from arthexis_bridge.events import make_event
from arthexis_bridge.outbox import Outbox, OutboxError

from .helpers import stored_events


def events(count, charger="CP-1"):
    return [make_event(charger, "status", "ocpp1.6", {"connector_id": n}) for n in range(count)]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "bridge.sqlite3"


async def test_appended_events_are_committed_and_peeked_oldest_first(path):
    batch = events(5)
    async with Outbox(path) as outbox:
        for event in batch:
            await outbox.append(event)
            # Committed when append returns: another connection already sees it.
            assert stored_events(path)[-1] == event
        assert await outbox.peek(3) == batch[:3]
        assert await outbox.peek(100) == batch
        assert await outbox.depth() == 5


async def test_remove_deletes_only_the_given_ids(path):
    batch = events(4)
    async with Outbox(path) as outbox:
        for event in batch:
            await outbox.append(event)
        removed = await outbox.remove([batch[1]["id"], batch[3]["id"], "not-an-id"])
        assert removed == 2
        assert await outbox.peek(10) == [batch[0], batch[2]]
        assert await outbox.remove([]) == 0


async def test_pending_events_survive_a_restart(path):
    batch = events(3)
    async with Outbox(path) as outbox:
        for event in batch:
            await outbox.append(event)
    async with Outbox(path) as reopened:
        assert await reopened.depth() == 3
        assert await reopened.peek(10) == batch


async def test_the_file_uses_write_ahead_logging(path):
    async with Outbox(path):
        pass
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        db.close()


async def test_concurrent_appends_share_commits_and_all_are_durable(path):
    batch = events(300)
    async with Outbox(path) as outbox:
        await asyncio.gather(*(outbox.append(event) for event in batch))
        # One transaction per append would be 300 commits (and 300 fsyncs).
        assert outbox.commits < 30
    assert stored_events(path) == batch


async def test_one_bad_event_does_not_fail_the_others_in_its_group(path):
    first, second, third = events(3)
    async with Outbox(path) as outbox:
        await outbox.append(first)
        results = await asyncio.gather(
            outbox.append(second),
            outbox.append(dict(first)),  # same id again: the UNIQUE constraint refuses it
            outbox.append(third),
            return_exceptions=True,
        )
        assert results[0] is None and results[2] is None
        assert isinstance(results[1], OutboxError)
        assert await outbox.peek(10) == [first, second, third]


async def test_an_event_sqlite_cannot_encode_fails_alone_and_the_writer_lives_on(path):
    first, second, third = events(3)
    broken = make_event("CP-2", "boot", "ocpp1.6", {"vendor": "AB\ud800C"})
    async with Outbox(path) as outbox:
        results = await asyncio.gather(
            outbox.append(first), outbox.append(broken), outbox.append(second),
            return_exceptions=True,
        )  # fmt: skip
        assert results[0] is None and results[2] is None
        assert isinstance(results[1], OutboxError)
        await outbox.append(third)
        assert await outbox.peek(10) == [first, second, third]


async def test_append_waits_for_a_slow_disk_without_blocking_the_event_loop(path):
    loop = asyncio.get_running_loop()
    [event] = events(1)
    async with Outbox(path) as outbox:
        # Another connection holds the write lock: the writer thread has to wait.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        append = asyncio.create_task(outbox.append(event))
        started = loop.time()
        await asyncio.sleep(0.1)
        assert loop.time() - started < 0.5, "the event loop was blocked"
        assert not append.done(), "append returned before its event was committed"
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(append, 5)
        assert await outbox.peek(1) == [event]


async def test_a_closed_outbox_refuses_work_and_close_is_idempotent(path):
    outbox = Outbox(path)
    with pytest.raises(OutboxError, match="not open"):
        await outbox.append(events(1)[0])
    await outbox.start()
    await outbox.close()
    await outbox.close()
    with pytest.raises(OutboxError, match="not open"):
        await outbox.peek(1)


async def test_an_unusable_data_dir_fails_start_with_the_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        await Outbox(blocker / "bridge.sqlite3").start()
