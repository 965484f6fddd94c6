"""Transactions the bridge started: their ids, and which are active where.

OCPP 1.6 leaves transaction ids to the central system. The bridge counts them
1, 2, 3... in the state file and commits each before the charger hears it, so
an id is never given twice, whatever happens to the rows or the process (Odoo
keys a session by charger and transaction id). Should the state file itself be
lost, the bridge counts on from the highest id Odoo holds for its node
(``raise_floor``, read at start), and Odoo keeps a reused id's session apart.

A transaction is active on its charger's connector from StartTransaction to
StopTransaction; a connector has one at a time, so a new start on a connector
ends one left active there. Stopped transactions are kept STOPPED_RETENTION,
so that a start or stop a charger repeats after a reconnect is recognized,
then deleted (their ids stay used). These functions run on a connection from
``state.py``, in the bridge's state thread.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import auth, events
from .auth import Decision, Policy
from .state import get_meta, set_meta, write

STOPPED_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Started:
    """What the bridge answers a StartTransaction."""

    transaction_id: int
    decision: Decision
    repeated: bool = False  # the same start was answered before: same id, same decision
    superseded: tuple[int, ...] = ()  # transactions left active on the connector, now ended


@dataclass(frozen=True)
class Stopped:
    """What the bridge knows of a transaction a charger stops."""

    unknown: str | None  # why the bridge does not know it; None if it does
    decision: Decision | None  # for the id tag the charger stopped it with, if any


@dataclass(frozen=True)
class Active:
    """A transaction going on."""

    transaction_id: int
    charger: str
    connector_id: int
    id_tag: str
    meter_start: int
    started_at: str


def authorize(
    db: sqlite3.Connection, id_tag: str, policy: Policy, answered: Decision | None = None
) -> Decision:
    """The cache's (or policy's) decision, or ``answered`` (Odoo's, asked online);
    ConcurrentTx if the tag already charges here."""
    decision = answered if answered is not None else auth.decide(db, id_tag, policy)
    # A free-vend charger often starts every session with the same tag: no ConcurrentTx.
    if decision.accepted and decision.source != auth.FREE_VEND and _in_use(db, id_tag, policy):
        return decision.concurrent()
    return decision


def start(
    db: sqlite3.Connection,
    charger: str,
    connector_id: int,
    id_tag: str,
    meter_start: int,
    timestamp: str,
    policy: Policy,
    answered: Decision | None = None,
) -> Started:
    """Allocate and record a transaction, or recognize a repeated start.

    ``timestamp`` is normalized (events.normalize_time). A start with the same
    charger, connector, tag, meter start and timestamp as one already answered
    is the same transaction: it gets the same id and decision again.
    ``answered``: Odoo's decision, asked online, instead of the cache's.
    """
    with write(db):
        row = db.execute(
            "SELECT transaction_id, decision FROM transactions WHERE charger = ? "
            "AND connector_id = ? AND id_tag = ? AND meter_start = ? AND started_at = ?",
            (charger, connector_id, id_tag, meter_start, timestamp),
        ).fetchone()
        if row is not None:
            return Started(row[0], Decision.from_data(json.loads(row[1])), repeated=True)
        where = "charger = ? AND connector_id = ? AND stopped_at IS NULL"
        superseded = tuple(
            transaction_id
            for (transaction_id,) in db.execute(
                f"SELECT transaction_id FROM transactions WHERE {where}", (charger, connector_id)
            )
        )
        db.execute(
            f"UPDATE transactions SET stopped_at = ? WHERE {where}",
            (events.utc_timestamp(), charger, connector_id),
        )
        decision = authorize(db, id_tag, policy, answered)
        transaction_id = get_meta(db, "last_transaction_id", 0) + 1
        set_meta(db, "last_transaction_id", transaction_id)
        db.execute(
            "INSERT INTO transactions (transaction_id, charger, connector_id, id_tag, tag_key, "
            "meter_start, started_at, status, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                transaction_id,
                charger,
                connector_id,
                id_tag,
                auth.tag_key(id_tag),
                meter_start,
                timestamp,
                decision.status,
                json.dumps(decision.as_data()),
            ),
        )
    return Started(transaction_id, decision, superseded=superseded)


def raise_floor(db: sqlite3.Connection, floor: int) -> int:
    """Count on from ``floor`` if the counter is below it (Odoo holds ids up to
    it: this data directory is new, or was restored); return the last id given."""
    with write(db):
        last = get_meta(db, "last_transaction_id", 0)
        if floor > last:
            set_meta(db, "last_transaction_id", floor)
    return max(floor, last)


def stop(
    db: sqlite3.Connection,
    charger: str,
    transaction_id: int,
    id_tag: str | None,
    policy: Policy,
) -> Stopped:
    """End the charger's transaction (again is fine); forget those stopped long ago."""
    now = datetime.now(UTC)
    with write(db):
        row = db.execute(
            "SELECT charger, stopped_at FROM transactions WHERE transaction_id = ?",
            (transaction_id,),
        ).fetchone()
        unknown = None
        if row is None:
            unknown = f"the bridge has no transaction {transaction_id}"
        elif row[0] != charger:
            unknown = f"transaction {transaction_id} belongs to charger {row[0]}"
        elif row[1] is None:
            db.execute(
                "UPDATE transactions SET stopped_at = ? WHERE transaction_id = ?",
                (events.utc_timestamp(now), transaction_id),
            )
        db.execute(
            "DELETE FROM transactions WHERE stopped_at < ?",
            (events.utc_timestamp(now - STOPPED_RETENTION),),
        )
        decision = auth.decide(db, id_tag, policy, now) if id_tag is not None else None
    return Stopped(unknown, decision)


def active(db: sqlite3.Connection, charger: str | None = None) -> list[Active]:
    """The transactions going on (on one charger, if given), by charger and connector."""
    query = (
        "SELECT transaction_id, charger, connector_id, id_tag, meter_start, started_at "
        "FROM transactions WHERE stopped_at IS NULL"
    )
    rows = (
        db.execute(f"{query} AND charger = ? ORDER BY connector_id", (charger,))
        if charger is not None
        else db.execute(f"{query} ORDER BY charger, connector_id")
    )
    return [Active(*row) for row in rows]


def stopped_since(db: sqlite3.Connection, id_tag: str, since: str) -> bool:
    """Whether a transaction of this tag stopped on this bridge at ``since`` or later."""
    query = "SELECT 1 FROM transactions WHERE tag_key = ? AND stopped_at >= ? LIMIT 1"
    return db.execute(query, (auth.tag_key(id_tag), since)).fetchone() is not None


def _in_use(db: sqlite3.Connection, id_tag: str, policy: Policy) -> bool:
    """Whether an accepted transaction with this tag is active on this bridge."""
    query = (
        "SELECT id_tag FROM transactions WHERE tag_key = ? AND stopped_at IS NULL AND status = ?"
    )
    rows = db.execute(query, (auth.tag_key(id_tag), auth.ACCEPTED))
    return any(policy.case_insensitive or tag == id_tag for (tag,) in rows)
