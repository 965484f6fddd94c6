"""What the node's LCD shows, and the task that cycles through it.

:func:`pages` turns a :class:`Snapshot` of the bridge into two-line pages;
:class:`Cycler` shows them one after another (two at a time on a four-row
display), writing in a thread of its own so a slow or broken I2C bus never
blocks the event loop. A write that fails is logged and tried again at the
next turn: the display never stops the bridge.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .lcd import Display, fit

logger = logging.getLogger(__name__)

STANDALONE, LINKED, OFFLINE = "standalone", "linked", "offline"


@dataclass(frozen=True)
class Snapshot:
    """The figures the screens show, read from a running bridge."""

    node: str
    link: str  # standalone, linked (last delivery worked) or offline (failing)
    chargers: int
    sessions: int
    power_w: float | None  # None: no charger reported its power
    card: str | None = None  # the last card scanned at the node's reader
    decision: str | None = None  # what the tag cache answers for it, or the kiosk did
    reader: bool = False  # the node has a reader: show the card page
    kiosk: bool = False  # a tap starts a session (kiosk.py), not just reads the card


def pages(snapshot: Snapshot) -> list[list[str]]:
    """The screens, two lines each, in the order they cycle."""
    power = "" if snapshot.power_w is None else f" {snapshot.power_w / 1000:.1f}kW"
    shown = [
        [snapshot.node, f"Odoo {snapshot.link}"],
        [f"Chargers {snapshot.chargers}", f"Sessions {snapshot.sessions}{power}"],
    ]
    if snapshot.reader:
        if snapshot.card is None:
            shown.append(["Tap a card", "to charge" if snapshot.kiosk else "to read it"])
        else:
            shown.append([snapshot.card, snapshot.decision or "?"])
    return shown


class Cycler:
    """Shows the pages of ``snapshot()`` on ``display``, one every ``interval`` seconds."""

    def __init__(
        self,
        display: Display,
        snapshot: Callable[[], Awaitable[Snapshot]],
        interval: float = 5.0,
    ) -> None:
        self.display = display
        self._snapshot = snapshot
        self.interval = interval
        self.errors = 0
        self._turn = 0
        self._wake = asyncio.Event()
        self._jump: int | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lcd")

    def show_card(self) -> None:
        """Show the card page at once (a card was just scanned)."""
        self._jump = 2
        self._wake.set()

    def screen(self, snapshot: Snapshot, turn: int) -> list[str]:
        """The screen of the given turn, fitted to the display."""
        shown = pages(snapshot)
        per_screen = max(1, self.display.rows // 2)
        count = -(-len(shown) // per_screen)
        first = (turn % count) * per_screen
        lines = [line for page in shown[first : first + per_screen] for line in page]
        return fit(lines, self.display.columns, self.display.rows)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        failing = False
        while True:
            self._wake.clear()  # a wake from here on is for a newer screen than this one
            if self._jump is not None:
                per_screen = max(1, self.display.rows // 2)
                self._turn, self._jump = self._jump // per_screen, None
            screen = self.screen(await self._snapshot(), self._turn)
            try:
                await loop.run_in_executor(self._thread, self.display.show, screen)
            except Exception as error:  # any bus failure: log it, try at the next turn
                self.errors += 1
                if not failing:
                    logger.error(
                        "LCD write failed: %s; trying again every %g s", error, self.interval
                    )
                failing = True
            else:
                if failing:
                    logger.info("LCD works again")
                failing = False
            self._turn += 1
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass

    async def close(self) -> None:
        """Wait for the write in progress (cancel :meth:`run` first), clear the display."""
        await asyncio.to_thread(self._thread.shutdown, wait=True)
        try:
            await asyncio.to_thread(self.display.close)
        except Exception as error:
            logger.warning("LCD could not be cleared: %s", error)
