"""Commands from Odoo to the chargers: pull, claim, send the CALL, report the answer.

Odoo never dials the edge (docs/commands.md). The bridge keeps one
``commands(wait, <connected chargers>)`` long poll open on a connection of its
own: Odoo answers it the moment a command for this node commits, or with
nothing after ``wait`` s, so an idle bridge costs Odoo one request every
``wait`` s. Commands found are claimed with ``command_sent`` (only what Odoo
returns is sent), then handed to a queue per charger, so each charger gets its
commands one at a time, oldest first, while a slow charger holds up no other.

The long poll names the chargers connected when it began. When a charger
connects, the commands that waited for it are asked for at once
(``commands(0, [it])``), and a new long poll that names it replaces the open
one (which is left to end on its own; at most ``MAX_POLLS`` are open).

A charger gets commands only as its registration allows, and once it is ready
for them (``ChargePoint.takes_command``, protocols/ocpp16.py): "connects"
above means "becomes ready", after its BootNotification is answered, or its
first other CALL, or a few seconds without one. An Accepted charger takes
every command. A Pending one takes only what configures it: it is asked for
with ``commands(0, [it])`` at each of its BootNotifications (a Pending charger
sends one every interval), never named in a long poll (its other commands
would end every poll at once). A Rejected one takes none. What a charger may
not take is not claimed: it stays queued in Odoo until it may, or expires.

Every answer (CALLRESULT, CALLERROR, no answer within ``command_timeout``, a
closed socket) becomes a result that is kept in the state file until Odoo
confirms it with ``command_results``: a result is never lost to an Odoo
outage or a restart; it is sent again with backoff until confirmed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from ocpp.messages import Call, MessageType
from websockets.exceptions import ConnectionClosed

from . import state
from .odoo_client import OdooError
from .sync import Backoff, describe

logger = logging.getLogger(__name__)

POLL_WAIT = 25  # seconds a long poll may wait in Odoo (docs/commands.md caps it at 25)
MAX_POLLS = 3  # long polls open at once, at most (each holds a connection in Odoo)
BATCH = 100  # commands per answer, and results per report
CONNECT_SETTLE = 0.05  # seconds to gather chargers connecting together into one poll
PENDING_KEY = "command_results"  # state_meta key holding the unreported results
SEEN_MAX = 10_000  # command ids remembered, so a command is never sent twice
READY_WAIT = 10.0  # seconds a claimed command waits for its charger to be ready again


def load_pending(db: sqlite3.Connection) -> list[dict[str, Any]]:
    return json.loads(state.get_meta(db, PENDING_KEY, "[]"))


def store_pending(db: sqlite3.Connection, results: list[dict[str, Any]]) -> None:
    with state.write(db):
        state.set_meta(db, PENDING_KEY, json.dumps(results))


async def send_call(
    charge_point: Any, action: str, payload: dict[str, Any], answer_within: float
) -> dict[str, Any]:
    """Send one CALL as Odoo wrote it; return the result to report (without its id).

    Uses the ``ocpp`` package's call lock and response queue (as its own ``call``
    does) so the CALL waits for any other call of ours on that connection, but
    sends the payload as is: Odoo has validated it, and its keys are camelCase.
    """
    message = Call(unique_id=str(uuid.uuid4()), action=action, payload=payload)
    try:
        async with charge_point._call_lock:
            await charge_point._send(message.to_json())
            response = await charge_point._get_specific_response(message.unique_id, answer_within)
    except TimeoutError:
        return {"status": "timed_out", "response": None}
    except ConnectionClosed:
        return {"status": "failed", "response": None, "error": "the charger disconnected"}
    if response.message_type_id == MessageType.CallError:
        error = {"error_code": response.error_code, "error_description": response.error_description}
        return {"status": "failed", "response": error, "error": response.error_code}
    # Odoo reads the charger's own status word (docs/commands.md).
    return {"status": "accepted", "response": response.payload}


class Commands:
    """The command task; ``await commands.run()``. ``chargers`` gives the connected
    chargers by id (the server's registry); call :meth:`charger_connected` each time
    a charger becomes ready for commands (``Server.on_connect``)."""

    def __init__(
        self,
        client: Any,
        chargers: Callable[[], Mapping[str, Any]],
        state_: state.State,
        *,
        timeout: float = 30.0,
        wait: float = POLL_WAIT,
        backoff: Backoff | None = None,
    ) -> None:
        self._client = client
        self._chargers = chargers
        self._state = state_
        self._timeout = timeout
        self._wait = wait
        self._backoff = backoff or Backoff(maximum=30.0)
        self._report_backoff = Backoff(maximum=30.0)
        self._arrived: set[str] = set()
        self._changed = asyncio.Event()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._queues: dict[str, asyncio.Queue] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._polls: set[asyncio.Task] = set()
        self._pending: list[dict[str, Any]] = []
        self._results_added = asyncio.Event()
        #: Commands sent to chargers, and results Odoo confirmed, since start.
        self.sent = 0
        self.reported = 0

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Results not yet confirmed by Odoo."""
        return list(self._pending)

    def charger_connected(self, charge_point_id: str) -> None:
        self._arrived.add(charge_point_id)
        self._changed.set()

    async def run(self) -> None:
        """Poll, send and report until cancelled."""
        self._pending = await self._state.run(load_pending)
        if self._pending:
            self._results_added.set()
        try:
            await asyncio.gather(self._poll_loop(), self._report_loop())
        finally:
            for task in [*self._workers.values(), *self._polls]:
                task.cancel()
            await asyncio.gather(*self._workers.values(), *self._polls, return_exceptions=True)

    # Pulling commands.

    async def _poll_loop(self) -> None:
        current: asyncio.Task | None = None
        covered: set[str] = set()  # the chargers the open long poll names
        while True:
            if self._arrived:
                await asyncio.sleep(CONNECT_SETTLE)  # chargers connecting together: one poll
            sessions = self._chargers()
            # Only chargers that take every command are named in long polls.
            connected = {cp for cp, s in sessions.items() if s.charge_point.takes_command()}
            self._changed.clear()
            arrived, self._arrived = self._arrived, set()
            limited = sorted(cp for cp in arrived - connected if cp in sessions)
            if limited:  # Pending ones, what they may take now, once (Rejected: nothing)
                await self._fetch(0, limited)
            uncovered = connected - covered
            if current is not None and uncovered:
                # The open poll does not name them: ask for theirs now, and poll anew
                # (or, with MAX_POLLS open already, ask for theirs every second until
                # an older poll ends).
                if arrived & uncovered or len(self._polls) >= MAX_POLLS:
                    await self._fetch(0, sorted(uncovered))
                if len(self._polls) < MAX_POLLS:
                    current = None
            if current is None and connected:
                covered = connected
                current = asyncio.create_task(self._fetch(self._wait, sorted(connected)))
                self._polls.add(current)
                current.add_done_callback(self._poll_ended)
            changed = asyncio.create_task(self._changed.wait())
            waiting = {changed} if current is None else {changed, current}
            stale = current is not None and bool(connected - covered)
            try:
                done, _ = await asyncio.wait(
                    waiting, timeout=1.0 if stale else None, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                changed.cancel()
            if current is not None and current in done:
                ok = current.result()
                current, covered = None, set()
                if not ok:
                    await asyncio.sleep(self._backoff.next())

    def _poll_ended(self, task: asyncio.Task) -> None:
        self._polls.discard(task)
        self._changed.set()  # a slot is free: a poll naming every charger may open

    async def _fetch(self, wait: float, chargers: list[str]) -> bool:
        """One ``commands`` call and the claim of what it found; False if Odoo failed."""
        if not chargers:
            return True
        try:
            found = await self._client.commands(wait, chargers)
        except Exception as error:
            logger.warning(
                "cannot read commands from Odoo (%s)",
                describe(error),
                extra={"event": "commands_failed"},
            )
            return False
        self._backoff.reset()
        await self._claim(found)
        if len(found) >= BATCH:
            self._changed.set()  # more wait: ask again at once
        return True

    async def _claim(self, found: list[dict[str, Any]]) -> None:
        connected = self._chargers()
        fresh = {}
        for command in found:
            cid = command.get("id")
            new = isinstance(cid, int) and cid not in self._seen
            session = connected.get(command.get("charger"))
            if new and session and session.charge_point.takes_command(command.get("action")):
                fresh[cid] = command
        if not fresh:
            return
        for cid in fresh:
            self._remember(cid)
        while True:  # command_sent is idempotent: ask until Odoo answers
            try:
                allowed = set(await self._client.command_sent(sorted(fresh)))
                break
            except Exception as error:
                delay = self._backoff.next()
                logger.warning(
                    "cannot claim %d commands in Odoo (%s); retrying in %.1f s",
                    len(fresh),
                    describe(error),
                    delay,
                    extra={"event": "commands_failed"},
                )
                await asyncio.sleep(delay)
        for cid, command in fresh.items():
            if cid in allowed:
                self._queue_for(command["charger"]).put_nowait(command)

    def _remember(self, command_id: int) -> None:
        self._seen[command_id] = None
        while len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)

    def _queue_for(self, charger: str) -> asyncio.Queue:
        queue = self._queues.get(charger)
        if queue is None:
            queue = self._queues[charger] = asyncio.Queue()
            self._workers[charger] = asyncio.create_task(
                self._serve(charger, queue), name=f"commands for {charger}"
            )
        return queue

    # Sending them, one at a time per charger.

    async def _serve(self, charger: str, queue: asyncio.Queue) -> None:
        while True:
            command = await queue.get()
            result = await self._send(charger, command)
            await self._add_result({"id": command["id"], **result})

    async def _send(self, charger: str, command: dict[str, Any]) -> dict[str, Any]:
        action, payload = command.get("action"), command.get("payload") or {}
        session = await self._ready_session(charger, action)
        if session is None:
            return {"status": "failed", "response": None, "error": "the charger disconnected"}
        if not session.charge_point.takes_command(action):
            registration = session.charge_point.registration
            error = f"the charger may not be sent {action} now (registration {registration})"
            return {"status": "failed", "response": None, "error": error}
        logger.info(
            "charger %s: sending %s (command %s)",
            charger,
            action,
            command["id"],
            extra={"event": "command_sent", "charger": charger, "command": command["id"]},
        )
        self.sent += 1
        try:
            result = await send_call(session.charge_point, action, payload, self._timeout)
        except Exception as error:  # a bug or a payload the frame cannot carry
            logger.exception("charger %s: command %s could not be sent", charger, command["id"])
            return {"status": "failed", "response": None, "error": describe(error)[:200]}
        logger.info(
            "charger %s: %s %s",
            charger,
            action,
            result["status"],
            extra={"event": "command_answered", "charger": charger, "status": result["status"]},
        )
        return result

    async def _ready_session(self, charger: str, action: str | None) -> Any:
        """The charger's session, once it may take the command: a charger that
        reconnected since the command was claimed gets READY_WAIT s to be ready."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_WAIT
        while True:
            session = self._chargers().get(charger)
            if session is None or session.charge_point.takes_command(action):
                return session
            if loop.time() >= deadline:
                return session
            await asyncio.sleep(0.1)

    # Reporting the answers.

    async def _add_result(self, result: dict[str, Any]) -> None:
        self._pending.append(result)
        await self._store()
        self._results_added.set()

    async def _store(self) -> None:
        try:
            await self._state.run(store_pending, list(self._pending))
        except Exception as error:  # kept in memory still; sent all the same
            logger.error("cannot keep command results in the state file: %s", error)

    async def _report_loop(self) -> None:
        while True:
            await self._results_added.wait()
            self._results_added.clear()
            while self._pending:
                batch = self._pending[:BATCH]
                try:
                    settled = set(await self._client.command_results(batch))
                    if not settled & {r["id"] for r in batch}:
                        raise OdooError(f"Odoo settled none of the {len(batch)} results sent")
                except Exception as error:
                    delay = self._report_backoff.next()
                    logger.warning(
                        "cannot report %d command results to Odoo (%s); retrying in %.1f s",
                        len(batch),
                        describe(error),
                        delay,
                        extra={"event": "command_results_failed"},
                    )
                    await asyncio.sleep(delay)
                    continue
                self._report_backoff.reset()
                self._pending = [r for r in self._pending if r["id"] not in settled]
                self.reported += len(settled)
                await self._store()
