"""The bridge's own state: transaction ids, active transactions, the id tag cache,
the charger registry, and the message log's table.

It lives in the outbox's SQLite file (one file to back up and move) but in its
own tables, listed here with their schema version, and through its own
connection, so the outbox stays the outbox. Every change commits with WAL and
synchronous=FULL before the charger is answered: a transaction id, once given,
must survive a crash, or it could be given again.

The bridge uses :class:`State`, which runs the functions of ``auth.py``,
``transactions.py`` and ``chargers.py`` in one thread that owns the
connection, off the event loop. The ``tags`` and ``chargers`` commands call
the same functions on a connection of their own from :func:`connect`;
SQLite's WAL lets them do so while the bridge runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3  # 2: chargers; 3: frame_log
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS state_meta (
        key TEXT PRIMARY KEY,  -- schema_version, last_transaction_id, auth_list_version,
                               -- chargers_refreshed_at
        value                  -- an integer or text, by key
    )""",
    """CREATE TABLE IF NOT EXISTS auth_tags (
        tag_key TEXT PRIMARY KEY,  -- the id tag upper-cased: 1.6 id tags are CiString20
        id_tag TEXT NOT NULL,      -- as entered
        status TEXT NOT NULL CHECK (status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')),
        expiry_date TEXT,          -- UTC ISO 8601 with Z: once past, the tag is Expired
        parent_id_tag TEXT
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS transactions (
        transaction_id INTEGER PRIMARY KEY,  -- from last_transaction_id, never reused
        charger TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL,     -- as the charger sent it
        tag_key TEXT NOT NULL,    -- upper-cased
        meter_start INTEGER NOT NULL,
        started_at TEXT NOT NULL, -- the charger's timestamp, normalized
        status TEXT NOT NULL,     -- the authorization status answered
        decision TEXT NOT NULL,   -- the whole decision answered, as JSON
        stopped_at TEXT           -- when the bridge saw it end: NULL while active
    )""",
    "CREATE INDEX IF NOT EXISTS transactions_connector ON transactions (charger, connector_id)",
    """CREATE INDEX IF NOT EXISTS transactions_active_tag ON transactions (tag_key)
        WHERE stopped_at IS NULL""",
    """CREATE INDEX IF NOT EXISTS transactions_stopped ON transactions (stopped_at)
        WHERE stopped_at IS NOT NULL""",
    """CREATE TABLE IF NOT EXISTS chargers (
        charge_point_id TEXT PRIMARY KEY,  -- as in /ocpp/<id>, case-sensitive
        registration TEXT NOT NULL CHECK (registration IN ('Accepted', 'Pending', 'Rejected')),
        password_hash TEXT,                -- pbkdf2_sha256$...; NULL: no password set
        require_rfid INTEGER NOT NULL      -- 0: free vend
    ) WITHOUT ROWID""",
    # The message log (framelog.py): written through a connection of its own,
    # in batches, without fsync; bounded to frame_log_max rows.
    """CREATE TABLE IF NOT EXISTS frame_log (
        seq INTEGER PRIMARY KEY,  -- the order the frames crossed the socket
        id TEXT NOT NULL,         -- uuid4 hex, the id Odoo confirms
        charger TEXT NOT NULL,
        at TEXT NOT NULL,         -- UTC ISO 8601 with milliseconds and Z
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        frame TEXT NOT NULL       -- as sent, cut to 8 KiB + '…'
    )""",
)


class StateError(Exception):
    """The state cannot be read or written (closed, disk full, unreadable file)."""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open the file (creating it and the state's tables if needed) and return a connection.

    Raises sqlite3.Error or OSError; the connection is in autocommit mode, so
    changes go through :func:`write`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        (mode,) = db.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode != "wal":
            raise sqlite3.OperationalError(f"the file system does not support WAL ({mode})")
        db.execute("PRAGMA synchronous=FULL")
        with write(db):
            for statement in SCHEMA:
                db.execute(statement)
            version = get_meta(db, "schema_version", SCHEMA_VERSION)
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"state schema version {version} is newer than this bridge knows "
                    f"({SCHEMA_VERSION}); upgrade the bridge"
                )
            set_meta(db, "schema_version", SCHEMA_VERSION)
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def write(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def get_meta(db: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM state_meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else row[0]


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO state_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


class State:
    """The state file, open in one thread; ``await state.run(function, *args)`` uses it.

    Use ``async with State(path)`` or start()/close().
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    async def __aenter__(self) -> State:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Open (or create) the state in its thread; raises StateError if it cannot."""
        if self._executor is not None:
            raise RuntimeError("the state was already started")
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="state")
        loop = asyncio.get_running_loop()
        try:
            self._db = await loop.run_in_executor(self._executor, connect, self.path)
        except (OSError, sqlite3.Error) as error:
            self._executor.shutdown()
            raise StateError(f"cannot open the state in {self.path}: {error}") from error

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(db, *args)`` in the state's thread; SQLite errors become StateError."""
        if self._db is None:
            raise StateError(f"the state in {self.path} is not open")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, function, self._db, *args)
        except sqlite3.Error as error:
            raise StateError(f"state {self.path}: {error}") from error

    async def close(self) -> None:
        """Close the connection and end the thread. Idempotent."""
        db, self._db = self._db, None
        if db is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, db.close)
        await asyncio.to_thread(self._executor.shutdown)
