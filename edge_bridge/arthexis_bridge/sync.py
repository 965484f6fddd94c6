"""Delivering the outbox to Odoo, and pulling the charger registry from it.

One task drains the outbox oldest first, in batches, on a few lanes at once
(each charger's events on one lane), so each charger's events reach Odoo in
the order the bridge accepted them. An event leaves the outbox
only once Odoo has confirmed its id. Whatever goes wrong on the way (Odoo down,
network cut, timeout, a fault inside Odoo) is logged and retried with
exponential backoff, for as long as it takes: the chargers never notice.

Another task (:class:`ChargerRefresh`) replaces the charger registry
(``chargers.py``) with Odoo's list at start-up and every ``charger_refresh``
seconds. While Odoo cannot be reached the bridge keeps the registry it has,
and tries again with backoff.

A third (:class:`FrameShipping`) ships the message log (``framelog.py``) with
``log_frames``, apart from the events: a slow or failing log never holds up
their delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
import xmlrpc.client
from collections.abc import Callable

from . import chargers, transactions
from .framelog import FrameLog
from .odoo_client import OdooClient, OdooError
from .outbox import Outbox
from .state import State

logger = logging.getLogger(__name__)

SYNC_BACKOFF_MAX = 15.0


class Backoff:
    """Retry delays: ``initial`` seconds, times ``factor`` after each failure, up to
    ``maximum``; each delay is shortened by a random part of up to ``jitter`` so
    that bridges cut off together do not all call Odoo again at the same moment.
    """

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.initial, self.maximum, self.factor, self.jitter = initial, maximum, factor, jitter
        self._random = rng
        self._next = initial

    def next(self) -> float:
        """The delay before the next attempt; the one after will be longer."""
        delay = self._next
        self._next = min(self.maximum, delay * self.factor)
        return delay * (1 - self.jitter * self._random())

    def reset(self) -> None:
        """Back to the initial delay, after a success."""
        self._next = self.initial


def describe(error: BaseException) -> str:
    """A one-line account of a delivery failure for the log."""
    if isinstance(error, xmlrpc.client.Fault):
        lines = [line for line in str(error.faultString).splitlines() if line.strip()]
        return f"Odoo fault: {lines[-1] if lines else error.faultCode}"
    if isinstance(error, xmlrpc.client.ProtocolError):
        return f"HTTP {error.errcode} {error.errmsg} from {error.url}"
    return f"{type(error).__name__}: {error}"


class Sync:
    """The task that delivers the outbox to Odoo; run it with ``await sync.run()``.

    ``lanes`` ingest calls may be in flight at once, so that Odoo's time on one
    batch overlaps the others' (and the network's). Each charger's events keep
    to one lane (``outbox.lane_of``), and a lane sends its next batch only once
    Odoo has answered the previous one: every charger's events still reach Odoo
    in the order the bridge accepted them. A failing lane backs off on its own.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: OdooClient,
        *,
        batch_size: int = 500,
        lanes: int = 1,
        backoff: Backoff | None = None,
        wake_interval: float = 60.0,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._batch_size = batch_size
        self._lanes = lanes
        # At most SYNC_BACKOFF_MAX between attempts: once Odoo is back, the backlog
        # starts draining within seconds; an attempt a lane makes costs Odoo little.
        first = backoff or Backoff(maximum=SYNC_BACKOFF_MAX)
        self._backoffs = [first] + [copy.copy(first) for _ in range(lanes - 1)]
        self._wake_interval = wake_interval
        #: Events Odoo has confirmed, and delivery attempts that failed, since start.
        self.delivered = 0
        self.failures = 0

    async def run(self) -> None:
        """Deliver until cancelled."""
        await asyncio.gather(*(self._run_lane(lane) for lane in range(self._lanes)))

    async def _run_lane(self, lane: int) -> None:
        backoff = self._backoffs[lane]
        appended = self._outbox.listener()
        failing = False
        while True:
            # Cleared before reading: an append from now on wakes the wait below.
            appended.clear()
            try:
                count = await self.deliver_batch(lane)
            except Exception as error:
                self.failures += 1
                failing = True
                delay = backoff.next()
                logger.warning(
                    "cannot deliver events to Odoo (%s); retrying in %.1f s",
                    describe(error),
                    delay,
                    extra={"event": "sync_failed", "lane": lane, "retry_in": round(delay, 1)},
                )
                await asyncio.sleep(delay)
                continue
            if count:
                if failing:
                    failing = False
                    logger.info(
                        "delivering events to Odoo again",
                        extra={"event": "sync_resumed", "lane": lane},
                    )
                backoff.reset()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(appended.wait(), self._wake_interval)

    async def deliver_batch(self, lane: int = 0) -> int:
        """Send the lane's oldest batch; remove what Odoo confirmed; return how many."""
        events = await self._outbox.peek_lane(lane, self._lanes, self._batch_size)
        if not events:
            return 0
        sent = {event["id"] for event in events}
        confirmed = await self._client.ingest(events)
        ids = sent.intersection(confirmed)
        if not ids:
            raise OdooError(f"Odoo confirmed none of the {len(events)} events sent")
        await self._outbox.remove(ids)
        self.delivered += len(ids)
        logger.debug("delivered %d of %d events to Odoo", len(ids), len(events))
        return len(ids)


class Refresh:
    """A task that keeps some state as Odoo has it: ``refresh()`` now, then every
    ``interval`` seconds, backing off (never longer than the interval) on failures.

    Subclasses say ``what`` they refresh and implement ``refresh()``.
    """

    what = "state"

    def __init__(
        self,
        state: State,
        client: OdooClient,
        *,
        interval: float = 60.0,
        backoff: Backoff | None = None,
    ) -> None:
        self._state = state
        self._client = client
        self._interval = interval
        self._backoff = backoff or Backoff(maximum=interval)
        #: Refreshes applied, and attempts that failed, since start.
        self.refreshed = 0
        self.failures = 0

    async def run(self) -> None:
        """Refresh now, then every ``interval`` seconds, until cancelled."""
        failing = False
        while True:
            try:
                await self.refresh()
            except Exception as error:
                self.failures += 1
                failing = True
                delay = min(self._backoff.next(), self._interval)
                logger.warning(
                    "cannot refresh the %s from Odoo (%s); retrying in %.1f s",
                    self.what,
                    describe(error),
                    delay,
                    extra={"event": "refresh_failed", "what": self.what},
                )
                await asyncio.sleep(delay)
                continue
            if failing:
                failing = False
                logger.info("%s: refreshed from Odoo again", self.what)
            self._backoff.reset()
            await asyncio.sleep(self._interval)

    async def refresh(self) -> object:
        raise NotImplementedError


class ChargerRefresh(Refresh):
    """Keeps the charger registry as Odoo has it; ``await refresh.run()``.

    Each refresh replaces the registry in one transaction, or, if Odoo's
    answer cannot be read, leaves it as it was.
    """

    what = "charger registry"

    async def refresh(self) -> int:
        """Replace the registry with Odoo's list; return how many chargers it has.

        Raises OdooError if the list cannot be read (the registry is left as it
        was), or what the client or the state raise.
        """
        registry: dict[str, chargers.Charger] = {}
        for row in await self._client.chargers():
            try:
                charger = chargers.Charger.from_odoo(row)
            except ValueError as error:
                raise OdooError(f"chargers(): {error}") from None
            if charger.charge_point_id in registry:
                raise OdooError(f"chargers(): {charger.charge_point_id!r} is listed twice")
            registry[charger.charge_point_id] = charger
        await self._state.run(chargers.replace_all, list(registry.values()))
        self.refreshed += 1
        log = logger.info if self.refreshed == 1 else logger.debug
        log("charger registry: %d chargers from Odoo", len(registry))
        return len(registry)


class TransactionFloor(Refresh):
    """Keeps the transaction id counter above the highest id Odoo holds for this
    node, so that a bridge whose data directory was lost never gives an id twice.

    Read at start (``Bridge.start`` waits a little for it), then every interval.
    """

    what = "transaction id floor"

    async def refresh(self) -> int:
        """Raise the counter to Odoo's floor if it is below; return the last id given."""
        floor = await self._client.transaction_floor()
        before = await self._state.run(transactions.raise_floor, 0)  # reads the counter
        last = await self._state.run(transactions.raise_floor, floor)
        if last > before:
            logger.warning(
                "transaction ids: Odoo holds ids up to %d, above this bridge's counter %d "
                "(a new or restored data directory?); counting on from %d",
                floor,
                before,
                floor,
                extra={"event": "transaction_floor_raised", "floor": floor, "was": before},
            )
        self.refreshed += 1
        return last


class FrameShipping:
    """The task that ships the message log to Odoo; run it with ``await shipping.run()``.

    Frames leave the log only once Odoo has confirmed their ids; the rest are
    sent again, with backoff while Odoo cannot be reached (the log's bound
    drops the oldest meanwhile).
    """

    def __init__(
        self,
        log: FrameLog,
        client: OdooClient,
        *,
        batch_size: int = 1000,
        backoff: Backoff | None = None,
        wake_interval: float = 60.0,
    ) -> None:
        self._log = log
        self._client = client
        self._batch_size = batch_size
        self._backoff = backoff or Backoff()
        self._wake_interval = wake_interval
        #: Frames Odoo has confirmed, and shipping attempts that failed, since start.
        self.shipped = 0
        self.failures = 0
        self._failing = False

    async def run(self) -> None:
        """Ship until cancelled."""
        while True:
            self._log.flushed.clear()  # a flush from now on wakes the wait below
            try:
                count = await self.ship_batch()
            except Exception as error:
                self.failures += 1
                self._failing = True
                delay = self._backoff.next()
                logger.warning(
                    "cannot ship the message log to Odoo (%s); retrying in %.1f s",
                    describe(error),
                    delay,
                    extra={"event": "frames_failed", "retry_in": round(delay, 1)},
                )
                await asyncio.sleep(delay)
                continue
            if count:
                if self._failing:
                    self._failing = False
                    logger.info("shipping the message log to Odoo again")
                self._backoff.reset()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._log.flushed.wait(), self._wake_interval)

    async def ship_batch(self) -> int:
        """Send the oldest stored frames; remove what Odoo confirmed; return how many."""
        batch = await self._log.peek(self._batch_size)
        if not batch:
            return 0
        seqs = {frame["id"]: seq for seq, frame in batch}
        confirmed = await self._client.log_frames([frame for _, frame in batch])
        done = [seqs[i] for i in set(confirmed) if i in seqs]
        if not done:
            raise OdooError(f"Odoo confirmed none of the {len(batch)} frames sent")
        await self._log.remove(done)
        self.shipped += len(done)
        logger.debug("shipped %d of %d frames to Odoo", len(done), len(batch))
        return len(done)
