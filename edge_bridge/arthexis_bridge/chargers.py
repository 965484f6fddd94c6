"""The charger registry: what the edge knows of each charge point id.

An entry holds the charger's registration (what its BootNotification is
answered: Accepted, Pending or Rejected), its password hash for security
profiles 1 and 2 (``passwords.py``; none: the charger cannot log in under
those profiles), and whether it needs an RFID card (``require_rfid``; false
for a free-vend charger).

A bridge syncing with Odoo replaces the whole registry with Odoo's list
(``chargers()``, docs/events.md) at start-up and every ``charger_refresh``
seconds, through :func:`replace_all`; a standalone bridge keeps it with
``arthexis-bridge chargers``. A charge point id not in the registry is
decided by the ``unknown_chargers`` policy (:func:`registration_of`). These
functions run on a connection from ``state.py``, in the bridge's state thread
or in the ``chargers`` command.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import events
from .state import set_meta, write

ACCEPTED = "Accepted"
PENDING = "Pending"
REJECTED = "Rejected"
REGISTRATIONS = (ACCEPTED, PENDING, REJECTED)
MAX_ID_LENGTH = 48  # the longest chargeBoxIdentity 1.6 allows (CiString48)

#: What the ``unknown_chargers`` policy answers a charger the registry does not list.
UNKNOWN_POLICY = {"accept": ACCEPTED, "pending": PENDING, "reject": REJECTED}


def check_id(charge_point_id: object) -> str:
    """The id, or ValueError if it cannot appear in ``/ocpp/<id>``."""
    if (
        not isinstance(charge_point_id, str)
        or not 1 <= len(charge_point_id) <= MAX_ID_LENGTH
        or "/" in charge_point_id
    ):
        raise ValueError(
            f"a charge point id has 1 to {MAX_ID_LENGTH} characters and no '/', "
            f"not {charge_point_id!r}"
        )
    return charge_point_id


@dataclass(frozen=True)
class Charger:
    """One charge point in the registry."""

    charge_point_id: str
    registration: str = ACCEPTED
    password_hash: str | None = field(default=None, repr=False)
    require_rfid: bool = True

    def __post_init__(self) -> None:
        check_id(self.charge_point_id)
        if self.registration not in REGISTRATIONS:
            raise ValueError(
                f"registration is one of {', '.join(REGISTRATIONS)}, not {self.registration!r}"
            )
        # A hash in another format is kept: no password matches it, and the
        # handshake logs why (passwords.is_hash), without holding up the others.
        if self.password_hash is not None and not (
            isinstance(self.password_hash, str) and self.password_hash
        ):
            raise ValueError(
                f"the password hash of {self.charge_point_id} is text, not {self.password_hash!r}"
            )
        if not isinstance(self.require_rfid, bool):
            raise ValueError(f"require_rfid is true or false, not {self.require_rfid!r}")

    @classmethod
    def from_odoo(cls, row: Mapping[str, Any]) -> Charger:
        """An entry from one row of Odoo's ``chargers()``; ValueError if malformed."""
        if not isinstance(row, Mapping):
            raise ValueError(f"a charger is a struct, not {row!r}")
        try:
            password_hash = row["password_hash"]
            return cls(
                charge_point_id=row["charge_point_id"],
                registration=row["registration"],
                password_hash=password_hash if password_hash is not False else None,
                require_rfid=row["require_rfid"],
            )
        except KeyError as missing:
            raise ValueError(
                f"charger {row.get('charge_point_id')!r} has no {missing.args[0]}"
            ) from None


def get(db: sqlite3.Connection, charge_point_id: str) -> Charger | None:
    """The entry of the id, None if the registry does not list it."""
    row = db.execute(
        "SELECT charge_point_id, registration, password_hash, require_rfid FROM chargers "
        "WHERE charge_point_id = ?",
        (charge_point_id,),
    ).fetchone()
    return None if row is None else _charger(row)


def free_vend(db: sqlite3.Connection, charge_point_id: str) -> bool:
    """Whether the charger charges without a card: listed with require_rfid off.
    A charger the registry does not list needs one."""
    charger = get(db, charge_point_id)
    return charger is not None and not charger.require_rfid


def registration_of(db: sqlite3.Connection, charge_point_id: str, unknown_chargers: str) -> str:
    """What the charger's BootNotification is answered: the registry's word, or the policy's."""
    charger = get(db, charge_point_id)
    return UNKNOWN_POLICY[unknown_chargers] if charger is None else charger.registration


def entries(db: sqlite3.Connection) -> list[Charger]:
    """Every entry, by id."""
    rows = db.execute(
        "SELECT charge_point_id, registration, password_hash, require_rfid FROM chargers "
        "ORDER BY charge_point_id"
    )
    return [_charger(row) for row in rows]


def put(db: sqlite3.Connection, charger: Charger) -> None:
    """Add the entry, or replace the one with the same id."""
    with write(db):
        _put(db, charger)


def remove(db: sqlite3.Connection, charge_point_id: str) -> bool:
    """Remove the entry; False if there was none."""
    with write(db):
        cursor = db.execute("DELETE FROM chargers WHERE charge_point_id = ?", (charge_point_id,))
    return cursor.rowcount > 0


def replace_all(db: sqlite3.Connection, chargers: Iterable[Charger]) -> None:
    """Make these entries the whole registry, in one transaction (Odoo's list)."""
    with write(db):
        db.execute("DELETE FROM chargers")
        for charger in chargers:
            _put(db, charger)
        set_meta(db, "chargers_refreshed_at", events.utc_timestamp())


def _put(db: sqlite3.Connection, charger: Charger) -> None:
    db.execute(
        "INSERT OR REPLACE INTO chargers "
        "(charge_point_id, registration, password_hash, require_rfid) VALUES (?, ?, ?, ?)",
        (
            charger.charge_point_id,
            charger.registration,
            charger.password_hash,
            int(charger.require_rfid),
        ),
    )


def _charger(row: tuple) -> Charger:
    charge_point_id, registration, password_hash, require_rfid = row
    return Charger(charge_point_id, registration, password_hash, bool(require_rfid))
