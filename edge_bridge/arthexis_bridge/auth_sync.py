"""Authorization fed by Odoo: the id tag list it pulls, and the tags it asks about.

:class:`AuthListRefresh` keeps the local cache (``auth.py``) as Odoo has it.
It asks ``auth_list(since)`` with the version of the last list applied (0
before any), at start-up and every ``auth_refresh`` seconds, and applies the
answer in one transaction with its version, so a restarted bridge goes on
from where it was. A full list replaces the cache. In a delta, a tag coming
back ``Invalid`` is a card Odoo archived: it leaves the cache, which is what
the next full list would say (only active cards are listed), so the cache
after a delta is the cache after the full list of that version. An answer
that cannot be read leaves the cache as it was; while Odoo cannot be reached
the bridge answers from the cache it has, and tries again with backoff.

:class:`OnlineAuthorizer` asks Odoo ``authorize(id_tag, concurrent=True)``
about a tag the cache does not know, and about a tag the cache accepts (Odoo
alone knows whether the card, or a card of its group, charges on another
node: then it answers ConcurrentTx), waiting at most ``authorize_timeout``
seconds: a charger waits meanwhile. Odoo's answer is stored in the cache (a
ConcurrentTx as the Accepted it stands for), so an unknown tag's next tap is
answered at once without Odoo, and its decision has the source ``odoo``. No
answer in time, or one that cannot be read, and the bridge decides alone: the
cache, or the ``unknown_tags`` policy, as on a bridge without Odoo, with its
own ConcurrentTx for tags charging on its chargers. After such a failure, tags
the cache knows are not asked about for ``OFFLINE_PAUSE`` seconds, so an
outage does not add the timeout to every start. Tags the cache refuses are
never asked about.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from . import auth, events, transactions
from .auth import Decision, Entry, Policy
from .odoo_client import OdooClient, OdooError
from .sync import Refresh, describe

logger = logging.getLogger(__name__)

OFFLINE_PAUSE = 30.0  # seconds known tags are not asked about after Odoo failed to answer
# A stop event is made just after the stop is recorded; this much later, at most.
STOP_EVENT_DELAY = timedelta(seconds=5)


def entry_from_odoo(id_tag: str, row: dict[str, Any]) -> Entry:
    """The cache entry for Odoo's struct (False for an absent expiry or parent).

    Raises ValueError if 1.6 cannot carry it.
    """
    return Entry(
        id_tag,
        row.get("status"),
        row.get("expiry_date") or None,
        row.get("parent_id_tag") or None,
    )


def read_auth_list(answer: Any) -> tuple[int, bool, list[Entry], list[str]]:
    """``auth_list``'s answer as (version, full, updates, removed tags).

    Raises OdooError naming what cannot be read: the whole answer is refused,
    since applying part of a delta and its version would lose the rest.
    """
    if not isinstance(answer, dict):
        raise OdooError(f"auth_list() answered {type(answer).__name__}, not a struct")
    version, full, rows = answer.get("version"), answer.get("full"), answer.get("entries")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise OdooError(f"auth_list(): version is {version!r}, not a whole number")
    if not isinstance(full, bool):
        raise OdooError(f"auth_list(): full is {full!r}, not true or false")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise OdooError("auth_list(): entries is not a list of structs")
    updates, removed = [], []
    for row in rows:
        try:
            entry = entry_from_odoo(row.get("id_tag"), row)
        except ValueError as error:
            raise OdooError(f"auth_list(): entry {row.get('id_tag')!r}: {error}") from None
        if entry.status == auth.INVALID and not full:
            removed.append(entry.id_tag)
        else:
            updates.append(entry)
    return version, full, updates, removed


def apply_auth_list(
    db: sqlite3.Connection, version: int, full: bool, updates: list[Entry], removed: list[str]
) -> bool:
    """Apply the list unless it is an empty delta of the version applied; whether it was."""
    if not full and not updates and not removed and auth.list_version(db) == version:
        return False
    auth.apply(db, version, updates, removed, full=full)
    return True


class AuthListRefresh(Refresh):
    """Keeps the id tag cache as Odoo has it; ``await refresh.run()``."""

    what = "id tag list"

    async def refresh(self) -> int:
        """Ask Odoo for the changes since the version applied, and apply them;
        return that version.

        Raises OdooError if the answer cannot be read (the cache is left as
        it was), or what the client or the state raise.
        """
        since = await self._state.run(auth.list_version) or 0
        version, full, updates, removed = read_auth_list(await self._client.auth_list(since))
        changed = await self._state.run(apply_auth_list, version, full, updates, removed)
        self.refreshed += 1
        if full:
            logger.info("id tag list: %d tags from Odoo, version %d", len(updates), version)
        elif changed:
            logger.info(
                "id tag list: %d tags changed and %d removed by Odoo, version %d",
                len(updates),
                len(removed),
                version,
            )
        return version


@dataclass(frozen=True)
class Answer:
    """Odoo's answer on a tag: the cache entry, and whether the card (or its group)
    charges now on any node (ConcurrentTx, said of an otherwise Accepted card)."""

    entry: Entry
    concurrent: bool = False


def store_answer(
    db: sqlite3.Connection, answer: Answer, policy: Policy, undelivered_since: str | None = None
) -> Decision:
    """Keep Odoo's answer in the cache; return it as a decision with source ``odoo``,
    ConcurrentTx if Odoo says so or the tag already charges here. Runs in the
    state's thread.

    ``undelivered_since``: the time of the oldest event still in the outbox. If
    the tag stopped here since, Odoo may not have its stop yet and sees it
    charging still: its ConcurrentTx is not trusted, this bridge's own decides.
    """
    id_tag = answer.entry.id_tag
    auth.put(db, answer.entry)
    answered = replace(auth.decide(db, id_tag, policy), source=auth.ODOO)
    if answer.concurrent and answered.accepted:
        since = None
        if undelivered_since is not None:
            oldest = datetime.fromisoformat(undelivered_since)
            since = events.utc_timestamp(oldest - STOP_EVENT_DELAY)
        if since is None or not transactions.stopped_since(db, id_tag, since):
            answered = answered.concurrent()
    return transactions.authorize(db, id_tag, policy, answered)


class OnlineAuthorizer:
    """Asks Odoo about tags, within ``timeout`` seconds."""

    def __init__(self, client: OdooClient, timeout: float = 2.0) -> None:
        self._client = client
        self.timeout = timeout
        #: Tags asked, and asks Odoo did not answer in time or answered unreadably.
        self.asked = 0
        self.failures = 0
        self._failed_at: float | None = None  # time.monotonic() of the last failure

    async def ask(self, charger: str, id_tag: str, *, known: bool = False) -> Answer | None:
        """Odoo's answer on the tag, or None (logged) if there is none to trust in time.

        ``known``: the cache knows the tag, so the bridge can decide alone; not
        asked within ``OFFLINE_PAUSE`` seconds of a failure.
        """
        failed_at = self._failed_at
        if known and failed_at is not None and time.monotonic() - failed_at < OFFLINE_PAUSE:
            return None
        self.asked += 1
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self._client.authorize(id_tag, True)
            if not isinstance(answer, dict):
                raise OdooError(f"authorize() answered {type(answer).__name__}, not a struct")
            concurrent = answer.get("status") == auth.CONCURRENT_TX
            if concurrent:  # Odoo turns only an Accepted card into ConcurrentTx
                answer = {**answer, "status": auth.ACCEPTED}
            found = Answer(entry_from_odoo(id_tag, answer), concurrent)
            self._failed_at = None
            return found
        except TimeoutError:
            why = f"no answer within {self.timeout:g} s"
        except ValueError as error:  # the entry: 1.6 cannot carry what Odoo said
            why = f"unreadable answer: {error}"
        except Exception as error:
            why = describe(error)
        self.failures += 1
        self._failed_at = time.monotonic()
        logger.warning(
            "charger %s: cannot ask Odoo about id tag %s (%s); the bridge decides alone",
            charger,
            id_tag,
            why,
            extra={"event": "authorize_offline", "charger": charger, "id_tag": id_tag},
        )
        return None
