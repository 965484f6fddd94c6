"""The node's hardware inside a running bridge: the reader's scans and the LCD.

A scanned card is looked up in the tag cache (the answer a charger would
get) and shown on the LCD. In staff mode it is also sent to Odoo as a
``card_scanned`` event, through the outbox like every event, so that staff
can enrol the card from the node's form (docs/events.md). In kiosk mode
(``kiosk_charger`` set) the tap starts or stops a session on that charger
(kiosk.py), and the event carries what was done.

A device that cannot be opened (no driver library, no such bus) is logged
and left off; the bridge serves chargers all the same.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

from .. import auth, events, transactions
from ..tasks import TaskSet
from .kiosk import Kiosk, Outcome
from .lcd import Display, make_display
from .rfid import Reader, Scanner, make_reader
from .screens import LINKED, OFFLINE, STANDALONE, Cycler, Snapshot

if TYPE_CHECKING:
    from ..app import Bridge

logger = logging.getLogger(__name__)

CARD_SCANNED = "card_scanned"
POWER = "Power.Active.Import"


class NodeHardware:
    """The reader and the display of one bridge, started and stopped with it.

    ``reader`` and ``display`` may be set before :meth:`start` to use those
    drivers instead of the ones the settings name (tests do).
    """

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        settings = bridge.settings
        self.settings = settings
        self.node_name = socket.gethostname()
        self.reader: Reader | None = None
        self.display: Display | None = None
        self.scanner: Scanner | None = None
        self.cycler: Cycler | None = None
        self.last_card: str | None = None
        self.last_decision: auth.Decision | None = None
        self.last_outcome: Outcome | None = None  # kiosk mode: what the last tap did
        self.scans = 0
        #: Last power reading (W) of each connector charging now, by (charger, connector).
        self.power: dict[tuple[str, int], float] = {}
        self._policy = auth.Policy(
            accept_unknown=settings.unknown_tags == "accept",
            case_insensitive=settings.id_tag_case_insensitive,
        )
        self.kiosk = Kiosk(bridge, self._policy) if settings.kiosk_charger else None
        self._tasks = TaskSet(logger)
        self._link_state = LINKED
        self._sync_seen: tuple[int, int] | None = None
        if settings.lcd != "none":
            self._watch_outbox()

    async def start(self) -> None:
        """Open the devices the settings name and start reading and showing."""
        settings = self.settings
        try:
            if self.reader is None:
                self.reader = make_reader(settings.rfid, settings.data_dir)
        except OSError as error:
            logger.error("RFID reader %s is off: %s", settings.rfid, error)
        try:
            if self.display is None:
                self.display = make_display(settings.lcd, settings.lcd_address, settings.lcd_size)
        except OSError as error:
            logger.error("LCD %s is off: %s", settings.lcd, error)
        if self.reader is not None:
            self.scanner = Scanner(self.reader, settings.rfid_debounce)
            self._tasks.spawn(self._read_cards(), name="RFID reader")
            mode = ""
            if settings.staff_mode:
                mode = "; staff mode: scanned cards go to Odoo"
            elif self.kiosk is not None:
                mode = f"; kiosk for charger {self.kiosk.charger}"
            logger.info("RFID reader: %s%s", settings.rfid, mode)
        if self.display is not None:
            self.cycler = Cycler(self.display, self.snapshot, settings.lcd_cycle)
            self._tasks.spawn(self.cycler.run(), name="LCD screens")
            logger.info("LCD: %s, %dx%d", settings.lcd, self.display.columns, self.display.rows)

    async def stop(self) -> None:
        await self._tasks.cancel_all()
        if self.scanner is not None:
            await self.scanner.close()
        if self.cycler is not None:
            await self.cycler.close()

    async def _read_cards(self) -> None:
        async for uid in self.scanner.scans():
            try:
                await self.card_scanned(uid)
            except Exception:  # the state or outbox failed: this scan is lost, not the reader
                logger.exception("card %s scanned, but could not be looked up or recorded", uid)

    async def card_scanned(self, uid: str) -> None:
        """A card (normalized UID) was scanned at the node."""
        self.last_card, self.last_outcome = uid, None
        if self.kiosk is not None:
            # Show the card at once: the charger may take seconds to answer.
            self.last_decision = None
            if self.cycler is not None:
                self.cycler.show_card()
            decision, self.last_outcome = await self.kiosk.tap(uid)
        else:
            decision = await self._bridge.state.run(auth.decide, uid, self._policy)
        self.last_decision = decision
        self.scans += 1
        logger.info("card %s scanned: %s (%s)", uid, decision.status, decision.source)
        if self.cycler is not None:
            self.cycler.show_card()
        if self.settings.staff_mode or self.kiosk is not None:
            # No charger: the node itself read the card. Odoo records it on the node.
            data = {"uid": uid, "decision": decision.as_data()}
            if self.last_outcome is not None:
                data["kiosk"] = self.last_outcome.as_data()
            event = events.make_event("", CARD_SCANNED, "", data)
            await self._bridge.outbox.append(event)

    async def snapshot(self) -> Snapshot:
        """The bridge's figures for the screens."""
        bridge = self._bridge
        active = await bridge.state.run(transactions.active)
        readings = [self.power[key] for key in self.power if key in _keys(active)]
        decision = self.last_decision
        shown = None if decision is None else decision.status
        if self.last_outcome is not None:
            shown = self.last_outcome.label
        elif self.kiosk is not None and self.last_card is not None and decision is None:
            shown = "Asking charger"
        return Snapshot(
            node=self.node_name,
            link=self._link(),
            chargers=len(bridge.server.chargers),
            sessions=len(active),
            power_w=sum(readings) if readings else None,
            card=self.last_card,
            decision=shown,
            reader=self.reader is not None,
            kiosk=self.kiosk is not None,
        )

    def _link(self) -> str:
        """Offline once delivery attempts fail with none getting through, linked again
        at the next delivery."""
        sync = self._bridge.sync
        if sync is None:
            return STANDALONE
        delivered, failures = self._sync_seen or (0, 0)
        if sync.delivered > delivered:
            self._link_state = LINKED
        elif sync.failures > failures:
            self._link_state = OFFLINE
        self._sync_seen = (sync.delivered, sync.failures)
        return self._link_state

    def _watch_outbox(self) -> None:
        # The LCD shows live power, which only meter values carry: read them as
        # they are committed, from the same events Odoo gets.
        outbox = self._bridge.outbox
        append = outbox.append

        async def append_and_watch(event: dict[str, Any]) -> None:
            await append(event)
            self._observe(event)

        outbox.append = append_and_watch

    def _observe(self, event: dict[str, Any]) -> None:
        kind, data = event.get("kind"), event.get("data") or {}
        if kind == events.TRANSACTION_STARTED:  # no reading of the session before
            self.power.pop((event["charger"], data.get("connector_id", 0)), None)
        elif kind == events.METER_VALUES:
            for sample in data.get("samples", ()):
                if sample.get("measurand") == POWER and not sample.get("phase"):
                    try:
                        watts = float(sample["value"])
                    except (KeyError, ValueError):
                        continue
                    if sample.get("unit") == "kW":
                        watts *= 1000
                    self.power[(event["charger"], data.get("connector_id", 0))] = watts


def _keys(active: list[transactions.Active]) -> set[tuple[str, int]]:
    return {(a.charger, a.connector_id) for a in active}
