"""The message log: every OCPP frame received from and sent to a charger, for
troubleshooting (docs/events.md, "The message log").

Frames are not events: losing the last second of them in a crash loses no
fact, so the log is built to cost the hot path next to nothing. Recording a
frame appends a tuple to an in-memory deque (cutting only a frame too long to
keep). A background task (:meth:`FrameLog.run`) moves what has piled up into
the ``frame_log`` table of the bridge's SQLite file every ``flush_interval``
seconds, in one transaction, through a connection and thread of its own with
``synchronous=NORMAL``: no fsync per batch, let alone per frame. Each flush
also deletes the oldest rows beyond ``max_rows``; the deque is bounded by the
same number, so an outage of the disk cannot grow memory without end.

:class:`RecordingConnection` is the one place frames are captured: it wraps a
charger's websocket connection and records what ``recv`` returns and what
``send`` sent, whatever the OCPP version. Shipping the log to Odoo is
``sync.FrameShipping``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from .state import State, StateError

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 8192  # what is kept of a frame (UTF-8); a longer one is cut
ELLIPSIS = "…"
_SURELY_SHORT = MAX_FRAME_BYTES // 4  # characters: UTF-8 takes at most 4 bytes each


def cut(frame: str | bytes) -> str:
    """The frame as text, cut to 8 KiB of UTF-8 with ``…`` appended if it was longer."""
    if not isinstance(frame, str):
        frame = frame.decode("utf-8", errors="replace")  # a binary frame: not OCPP-J, but keep it
    if len(frame) <= _SURELY_SHORT:
        return frame
    data = frame.encode("utf-8", errors="surrogatepass")
    if len(data) <= MAX_FRAME_BYTES:
        return frame
    return data[:MAX_FRAME_BYTES].decode("utf-8", errors="ignore") + ELLIPSIS


class FrameLog:
    """The message log in ``path``, at most ``max_rows`` frames; start()/close() around use."""

    def __init__(self, path: str | Path, max_rows: int, *, flush_interval: float = 1.0) -> None:
        if max_rows < 1:
            raise ValueError("a message log keeps at least one frame (0 disables it: no FrameLog)")
        self.path = Path(path)
        self.max_rows = max_rows
        self.flush_interval = flush_interval
        #: Set after each flush that stored frames; the shipping task waits on it.
        self.flushed = asyncio.Event()
        #: Frames dropped from the full deque before they could be stored.
        self.dropped = 0
        self._pending: collections.deque[tuple[str, float, str, str]] = collections.deque(
            maxlen=max_rows
        )
        self._stored = 0  # rows in the table, as of the last flush or removal
        self._db = State(self.path)  # its own thread and connection, the state's schema

    @property
    def depth(self) -> int:
        """Frames kept: in the table, and waiting in memory for the next flush."""
        return min(self._stored + len(self._pending), self.max_rows)

    def record(self, charger: str, direction: str, frame: str | bytes) -> None:
        """Keep one frame that crossed ``charger``'s socket (``direction`` ``in`` or ``out``)."""
        if type(frame) is not str or len(frame) > _SURELY_SHORT:
            frame = cut(frame)
        pending = self._pending
        if len(pending) == self.max_rows:
            self.dropped += 1
        pending.append((charger, time.time(), direction, frame))

    async def start(self) -> None:
        """Open the table; raises StateError if the file cannot be opened."""
        await self._db.start()
        try:
            self._stored = await self._db.run(_open)
        except BaseException:
            await self._db.close()
            raise

    async def run(self) -> None:
        """Flush every ``flush_interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
            except StateError as error:
                # The frames of this batch are lost; the next batch tries again.
                logger.warning("message log: cannot store frames: %s", error)

    async def flush(self) -> int:
        """Store the frames recorded so far; return how many."""
        if not self._pending:
            return 0
        batch = list(self._pending)
        self._pending.clear()
        inserted, deleted = await self._db.run(_insert, batch, self.max_rows)
        self._stored += inserted - deleted
        self.flushed.set()
        return inserted

    async def peek(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest ``limit`` stored frames as ``(seq, frame)``, oldest first."""
        return await self._db.run(_peek, limit)

    async def remove(self, seqs: list[int]) -> int:
        """Delete the stored frames with these sequence numbers; return how many were."""
        removed = await self._db.run(_remove, seqs)
        self._stored -= removed
        return removed

    async def close(self) -> None:
        """Store what is pending, then close. Idempotent."""
        try:
            await self.flush()
        except StateError as error:
            logger.warning("message log: cannot store the last frames: %s", error)
        finally:
            await self._db.close()


class RecordingConnection:
    """A charger's websocket connection that records every frame it receives and sends."""

    def __init__(self, connection: Any, charger: str, log: FrameLog) -> None:
        self._connection = connection
        self._charger = charger
        self._record = log.record

    async def recv(self, *args: Any, **kwargs: Any) -> str | bytes:
        frame = await self._connection.recv(*args, **kwargs)
        self._record(self._charger, "in", frame)
        return frame

    async def send(self, message: Any, *args: Any, **kwargs: Any) -> None:
        await self._connection.send(message, *args, **kwargs)
        if isinstance(message, str | bytes):  # not the iterables of fragments send() also takes
            self._record(self._charger, "out", message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


# Everything below runs in the log's thread.


def _open(db: sqlite3.Connection) -> int:
    # Frames may be lost in a crash (they are not events): commit without fsync.
    db.execute("PRAGMA synchronous=NORMAL")
    (count,) = db.execute("SELECT count(*) FROM frame_log").fetchone()
    return count


def _insert(
    db: sqlite3.Connection, batch: list[tuple[str, float, str, str]], max_rows: int
) -> tuple[int, int]:
    # Ids: a random prefix per batch and a counter, 32 hex digits like a uuid4's,
    # without a call to the OS per frame. Times: the date and second formatted
    # once per second. This thread holds the GIL the event loop needs.
    prefix = secrets.token_hex(12)
    seconds: dict[int, str] = {}
    rows = []
    for n, (charger, at, direction, text) in enumerate(batch):
        second = int(at)
        day_and_second = seconds.get(second)
        if day_and_second is None:
            day_and_second = seconds[second] = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(at))
        millis = int((at - second) * 1000)
        rows.append(
            (f"{prefix}{n:08x}", charger, f"{day_and_second}{millis:03d}Z", direction, text)
        )
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(
            "INSERT INTO frame_log (id, charger, at, direction, frame) VALUES (?, ?, ?, ?, ?)", rows
        )
        # The newest max_rows sequence numbers stay; rows already shipped leave gaps,
        # so at most max_rows are kept.
        deleted = db.execute(
            "DELETE FROM frame_log WHERE seq <= (SELECT max(seq) FROM frame_log) - ?", (max_rows,)
        ).rowcount
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return len(rows), deleted


def _peek(db: sqlite3.Connection, limit: int) -> list[tuple[int, dict[str, Any]]]:
    rows = db.execute(
        "SELECT seq, id, charger, at, direction, frame FROM frame_log ORDER BY seq LIMIT ?",
        (limit,),
    )
    return [
        (seq, {"id": id_, "charger": charger, "at": at, "direction": direction, "frame": frame})
        for seq, id_, charger, at, direction, frame in rows
    ]


def _remove(db: sqlite3.Connection, seqs: list[int]) -> int:
    if not seqs:
        return 0
    db.execute("BEGIN IMMEDIATE")
    try:
        removed = db.executemany(
            "DELETE FROM frame_log WHERE seq = ?", [(seq,) for seq in seqs]
        ).rowcount
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return removed
