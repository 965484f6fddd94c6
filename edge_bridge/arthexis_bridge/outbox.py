"""The durable outbox: every acknowledged event, kept in SQLite until Odoo confirms it.

A charger is answered only after its event is committed (WAL, synchronous=FULL),
so nothing acknowledged is lost if the bridge is killed or the disk loses power.
One fsync per event would cap a bridge at a few hundred frames a second, so the
outbox commits in groups: appends queue up while the previous commit is being
written, and a single writer thread commits everything pending in one
transaction. That thread owns the SQLite connection and does all SQLite work,
so the event loop never blocks on the disk.

An append waits on a future of its own event loop. The writer thread settles
a whole group's futures with one ``call_soon_threadsafe`` per loop, rather
than waking the loop once per event.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import queue
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FILENAME = "bridge.sqlite3"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,  -- insertion order: delivery drains oldest first
    id TEXT NOT NULL UNIQUE,  -- the event id Odoo confirms
    event TEXT NOT NULL       -- the event, as JSON
)
"""


class OutboxError(Exception):
    """The outbox cannot store or read events (closed, disk full, unreadable file)."""


@dataclass
class _Job:
    """Work for the writer thread other than an append: a read/delete, or closing."""

    kind: str  # "call" or "close"
    payload: Any = None
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


class _Append:
    """An event for the writer thread to commit, and the loop future its caller awaits."""

    __slots__ = ("at", "id", "loop", "text", "waiter")
    kind = "append"

    def __init__(
        self, id: str, text: str, at: str, loop: asyncio.AbstractEventLoop, waiter: asyncio.Future
    ) -> None:
        self.id, self.text, self.at = id, text, at
        self.loop, self.waiter = loop, waiter


class Outbox:
    """The SQLite outbox at ``path``; use ``async with Outbox(path)`` or start()/close()."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        #: Set after each append commits; the sync task waits on it.
        self.appended = asyncio.Event()
        #: How many transactions committed appends (fewer than appends: group commit).
        self.commits = 0
        #: Events waiting for delivery, and the ``at`` of the oldest (None: empty). Kept
        #: by the writer thread as it commits and removes, so reading them costs nothing.
        self.size = 0
        self.oldest_at: str | None = None
        self._listeners: list[asyncio.Event] = []
        self._jobs: queue.SimpleQueue[_Job | _Append] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._open = False

    async def __aenter__(self) -> Outbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Open (or create) the database in the writer thread."""
        if self._thread is not None:
            raise RuntimeError("the outbox was already started")
        ready: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="outbox-writer", daemon=True
        )
        self._thread.start()
        await asyncio.wrap_future(ready)
        self._open = True

    async def close(self) -> None:
        """Commit what is pending, close the database, end the thread. Idempotent."""
        if not self._open:
            return
        self._open = False
        job = _Job("close")
        self._jobs.put(job)
        await asyncio.wrap_future(job.future)
        await asyncio.to_thread(self._thread.join)

    async def append(self, event: dict[str, Any]) -> None:
        """Store one event; return only once it is committed to disk."""
        if not self._open:
            raise OutboxError(f"the outbox at {self.path} is not open")
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._jobs.put(_Append(event["id"], text, event["at"], loop, waiter))
        # Cancelling the caller skips the event if the writer has not taken it yet.
        await waiter
        self.appended.set()
        for listener in self._listeners:
            listener.set()

    def listener(self) -> asyncio.Event:
        """An event of its own, set after each append commits: one per waiting task, so
        that one task clearing it never hides an append from another."""
        event = asyncio.Event()
        self._listeners.append(event)
        return event

    async def peek(self, limit: int) -> list[dict[str, Any]]:
        """The oldest ``limit`` events, oldest first."""
        return await self._call(_peek, limit)

    async def peek_lane(self, lane: int, lanes: int, limit: int) -> list[dict[str, Any]]:
        """The oldest ``limit`` events of one lane of ``lanes``, oldest first.

        Events are split into lanes by charger (:func:`lane_of`), so each
        charger's events are all in one lane, in the order they were appended.
        """
        if lanes == 1:
            return await self.peek(limit)
        return await self._call(_peek_lane, lane, lanes, limit)

    async def remove(self, ids: Iterable[str]) -> int:
        """Delete the events with these ids (others stay); return how many were deleted."""
        return await self._call(self._remove, list(ids))

    async def depth(self) -> int:
        """How many events wait for delivery."""
        return await self._call(_depth)

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        return await self._submit(_Job("call", (function, args)))

    async def _submit(self, job: _Job) -> Any:
        if not self._open:
            raise OutboxError(f"the outbox at {self.path} is not open")
        self._jobs.put(job)
        # Cancelling the caller cancels the job if the writer has not taken it yet.
        return await asyncio.wrap_future(job.future)

    # Everything below runs in the writer thread.

    def _run(self, ready: concurrent.futures.Future) -> None:
        try:
            db = self._connect()
        except (OSError, sqlite3.Error) as error:
            ready.set_exception(OutboxError(f"cannot open the outbox at {self.path}: {error}"))
            return
        ready.set_result(None)
        try:
            while not self._serve(db):
                pass
        except BaseException:
            # A bug, not a disk error (those fail only their jobs): refuse new work.
            self._open = False
            logger.critical("outbox %s: the writer thread failed", self.path, exc_info=True)
            raise
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; the writer says BEGIN/COMMIT.
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            (mode,) = db.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode != "wal":
                raise sqlite3.OperationalError(f"the file system does not support WAL ({mode})")
            db.execute("PRAGMA synchronous=FULL")
            db.create_function("bridge_lane", 2, lane_of, deterministic=True)
            db.execute(SCHEMA)
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"schema version {version} is newer than this bridge knows "
                    f"({SCHEMA_VERSION}); upgrade the bridge"
                )
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            (self.size,) = db.execute("SELECT count(*) FROM outbox").fetchone()
            self.oldest_at = _oldest_at(db)
        except BaseException:
            db.close()
            raise
        return db

    def _serve(self, db: sqlite3.Connection) -> bool:
        """Take every queued job; commit runs of appends together. True once closed."""
        jobs = [self._jobs.get()]
        while True:
            try:
                jobs.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        appends: list[_Append] = []
        for job in jobs:
            if job.kind == "append":
                if not job.waiter.cancelled():  # cancelled by its caller before it started
                    appends.append(job)
                continue
            if job.kind == "close":
                self._commit(db, appends)
                if job.future.set_running_or_notify_cancel():
                    job.future.set_result(None)
                return True
            if not job.future.set_running_or_notify_cancel():
                continue  # cancelled by its caller before it started
            self._commit(db, appends)
            appends = []
            function, args = job.payload
            try:
                job.future.set_result(function(db, *args))
            except Exception as error:
                job.future.set_exception(OutboxError(f"outbox {self.path}: {error}"))
        self._commit(db, appends)
        return False

    def _remove(self, db: sqlite3.Connection, ids: list[str]) -> int:
        if not ids:
            return 0
        db.execute("BEGIN IMMEDIATE")
        try:
            removed = db.executemany(
                "DELETE FROM outbox WHERE id = ?", [(i,) for i in ids]
            ).rowcount
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise
        self.size -= removed
        self.oldest_at = _oldest_at(db)
        return removed

    def _commit(self, db: sqlite3.Connection, jobs: list[_Append]) -> None:
        """Commit the appends in one transaction, then wake each caller's loop once."""
        if not jobs:
            return
        outcomes: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Exception | None]]]
        outcomes = {}
        self._insert(db, jobs, outcomes)
        for loop, settled in outcomes.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # the caller's loop is closed: nobody waits any more
                pass

    def _insert(
        self,
        db: sqlite3.Connection,
        jobs: list[_Append],
        outcomes: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Exception | None]]],
    ) -> None:
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO outbox (id, event) VALUES (?, ?)", [(j.id, j.text) for j in jobs]
            )
            db.execute("COMMIT")
        except (sqlite3.Error, ValueError) as error:  # ValueError: text SQLite cannot encode
            _rollback(db)
            if len(jobs) > 1:
                # One bad row must not fail the other chargers' events: retry one by one.
                for job in jobs:
                    self._insert(db, [job], outcomes)
                return
            job = jobs[0]
            logger.error(
                "outbox %s: cannot commit event %s: %s",
                self.path,
                job.id,
                error,
                extra={"event": "outbox_failed", "event_id": job.id},
            )
            failure = OutboxError(f"cannot commit event {job.id} to {self.path}: {error}")
            outcomes.setdefault(job.loop, []).append((job.waiter, failure))
            return
        self.commits += 1
        self.size += len(jobs)
        if self.oldest_at is None:
            self.oldest_at = jobs[0].at
        for job in jobs:
            outcomes.setdefault(job.loop, []).append((job.waiter, None))


def _settle(settled: list[tuple[asyncio.Future, Exception | None]]) -> None:
    """Run in the callers' loop: finish each append's future (unless its caller gave up)."""
    for waiter, error in settled:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


def _peek(db: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    rows = db.execute("SELECT event FROM outbox ORDER BY seq LIMIT ?", (limit,))
    return [json.loads(text) for (text,) in rows]


def lane_of(charger: str | None, lanes: int) -> int:
    """The delivery lane of a charger's events: stable across restarts and processes."""
    return zlib.crc32((charger or "").encode()) % lanes


def _peek_lane(db: sqlite3.Connection, lane: int, lanes: int, limit: int) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT event FROM outbox WHERE bridge_lane(json_extract(event, '$.charger'), ?) = ? "
        "ORDER BY seq LIMIT ?",
        (lanes, lane, limit),
    )
    return [json.loads(text) for (text,) in rows]


def _oldest_at(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT json_extract(event, '$.at') FROM outbox ORDER BY seq LIMIT 1")
    found = row.fetchone()
    return None if found is None else found[0]


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back if a transaction is open; a failed rollback leaves SQLite to undo it."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _depth(db: sqlite3.Connection) -> int:
    (count,) = db.execute("SELECT count(*) FROM outbox").fetchone()
    return count
