"""The local authorization cache: what the edge answers for an id tag, at once.

An entry says Accepted, Blocked, Expired or Invalid, with an optional expiry
and parent tag; an Accepted entry past its expiry answers Expired. A tag the
cache does not know is decided by the ``unknown_tags`` policy. Tags are keyed
upper-cased, since OCPP 1.6 id tags are case-insensitive strings (CiString20):
two tags differing only in case are one entry. With ``id_tag_case_insensitive``
off, a tag matches its entry only when spelled exactly as entered.

A standalone bridge fills the cache with ``arthexis-bridge tags``; a bridge
syncing with Odoo feeds it with :func:`apply` (a full list or a delta, with
the list's version) and with Odoo's answers on tags it asks about
(``auth_sync.py``). These functions run on a connection from
``state.py``, in the bridge's state thread or in the ``tags`` command.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from . import events
from .state import get_meta, set_meta, write

ACCEPTED = "Accepted"
BLOCKED = "Blocked"
EXPIRED = "Expired"
INVALID = "Invalid"
CONCURRENT_TX = "ConcurrentTx"
ENTRY_STATUSES = (ACCEPTED, BLOCKED, EXPIRED, INVALID)
MAX_ID_TAG_LENGTH = 20  # CiString20Type

CACHE = "cache"
POLICY = "policy"
ODOO = "odoo"  # asked online: see auth_sync.py
FREE_VEND = "free_vend"  # the charger needs no card (require_rfid off in the registry)


def tag_key(id_tag: str) -> str:
    """The id tag as the cache compares it."""
    return id_tag.upper()


def check_id_tag(id_tag: str) -> str:
    """The id tag, or ValueError if it is empty or longer than 1.6 allows."""
    if not isinstance(id_tag, str) or not 1 <= len(id_tag) <= MAX_ID_TAG_LENGTH:
        raise ValueError(f"an id tag has 1 to {MAX_ID_TAG_LENGTH} characters, not {id_tag!r}")
    return id_tag


@dataclass(frozen=True)
class Policy:
    """What the edge does beyond the cache: settings ``unknown_tags`` and
    ``id_tag_case_insensitive``."""

    accept_unknown: bool = False
    case_insensitive: bool = True


@dataclass(frozen=True)
class Entry:
    """One tag in the cache; ``expiry_date`` is normalized to UTC ISO 8601 with Z."""

    id_tag: str
    status: str = ACCEPTED
    expiry_date: str | None = None
    parent_id_tag: str | None = None

    def __post_init__(self) -> None:
        check_id_tag(self.id_tag)
        if self.status not in ENTRY_STATUSES:
            raise ValueError(f"status is one of {', '.join(ENTRY_STATUSES)}, not {self.status!r}")
        if self.parent_id_tag is not None:
            check_id_tag(self.parent_id_tag)
        if self.expiry_date is not None:
            object.__setattr__(self, "expiry_date", events.normalize_time(self.expiry_date))


@dataclass(frozen=True)
class Decision:
    """What the edge answered for an id tag, as the events carry it (docs/events.md)."""

    status: str
    source: str  # "cache", "policy", "odoo" when Odoo answered online, or "free_vend"
    expiry_date: str | None = None
    parent_id_tag: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED

    def as_data(self) -> dict[str, str]:
        """The ``decision`` of an event: its keys, without the absent ones."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_data(cls, data: dict[str, str]) -> Decision:
        return cls(**data)

    def concurrent(self) -> Decision:
        """The same decision, refused because the tag already charges elsewhere."""
        return replace(self, status=CONCURRENT_TX)

    def anomaly(self) -> dict[str, str] | None:
        """``offline_accept`` when the policy, not the cache, let the tag charge."""
        if self.accepted and self.source == POLICY:
            return events.anomaly(
                events.OFFLINE_ACCEPT, "an id tag the cache does not know, accepted by policy"
            )
        return None


def decide(
    db: sqlite3.Connection, id_tag: str, policy: Policy, now: datetime | None = None
) -> Decision:
    """The cache's decision for the tag, or the policy's if the cache does not know it."""
    row = db.execute(
        "SELECT id_tag, status, expiry_date, parent_id_tag FROM auth_tags WHERE tag_key = ?",
        (tag_key(id_tag),),
    ).fetchone()
    if row is None or (not policy.case_insensitive and row[0] != id_tag):
        return Decision(ACCEPTED if policy.accept_unknown else INVALID, POLICY)
    _, status, expiry_date, parent_id_tag = row
    if status == ACCEPTED and expiry_date and expiry_date <= events.utc_timestamp(now):
        status = EXPIRED
    return Decision(status, CACHE, expiry_date, parent_id_tag)


def put(db: sqlite3.Connection, entry: Entry) -> None:
    """Add the entry, or replace the one with the same tag."""
    with write(db):
        _put(db, entry)


def block(db: sqlite3.Connection, id_tag: str) -> None:
    """Block the tag, keeping its expiry and parent; a tag not in the cache is added blocked."""
    check_id_tag(id_tag)
    with write(db):
        db.execute(
            "INSERT INTO auth_tags (tag_key, id_tag, status) VALUES (?, ?, ?) "
            "ON CONFLICT (tag_key) DO UPDATE SET status = excluded.status",
            (tag_key(id_tag), id_tag, BLOCKED),
        )


def entries(db: sqlite3.Connection) -> list[Entry]:
    """Every entry, by tag."""
    rows = db.execute(
        "SELECT id_tag, status, expiry_date, parent_id_tag FROM auth_tags ORDER BY tag_key"
    )
    return [Entry(*row) for row in rows]


def apply(
    db: sqlite3.Connection,
    version: int,
    updates: Iterable[Entry],
    removed: Iterable[str] = (),
    *,
    full: bool = False,
) -> None:
    """Apply a list from the owner of the cache (Odoo), atomically, and keep its version.

    ``full``: the updates become the whole cache. Otherwise they are a delta:
    the updates replace or add entries and the ``removed`` tags leave.
    """
    with write(db):
        if full:
            db.execute("DELETE FROM auth_tags")
        for entry in updates:
            _put(db, entry)
        db.executemany(
            "DELETE FROM auth_tags WHERE tag_key = ?", [(tag_key(tag),) for tag in removed]
        )
        set_meta(db, "auth_list_version", version)


def list_version(db: sqlite3.Connection) -> int | None:
    """The version of the last list applied, None if none was."""
    return get_meta(db, "auth_list_version")


def _put(db: sqlite3.Connection, entry: Entry) -> None:
    db.execute(
        "INSERT OR REPLACE INTO auth_tags (tag_key, id_tag, status, expiry_date, parent_id_tag) "
        "VALUES (?, ?, ?, ?, ?)",
        (tag_key(entry.id_tag), entry.id_tag, entry.status, entry.expiry_date, entry.parent_id_tag),
    )
