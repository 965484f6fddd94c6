"""Kiosk: a card tapped at the node starts a session on a charger with no reader.

The node's reader stands in for the charger's. A tapped card is decided on as
the charger's own Authorize would be (the tag cache, Odoo within
``authorize_timeout``, ConcurrentTx if it charges anywhere), and an accepted
card is sent to the charger as RemoteStartTransaction, over its connection,
the way the bridge sends Odoo's commands (``commands.send_call``). Tapping the
card of a session running there sends RemoteStopTransaction. It works with
Odoo unreachable: the cache and the unknown_tags policy decide then.

The charger starts the session with its own StartTransaction, which the bridge
authorizes and records like any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import auth, transactions
from ..commands import send_call

if TYPE_CHECKING:
    from ..app import Bridge

logger = logging.getLogger(__name__)

START, STOP = "RemoteStartTransaction", "RemoteStopTransaction"
OFFLINE = "ChargerOffline"  # the kiosk charger is not connected: nothing sent


@dataclass(frozen=True)
class Outcome:
    """What a tap did: the command sent (None: none) and the charger's answer, or why not."""

    action: str | None
    status: str  # the charger's status word, timed_out, failed, ChargerOffline, or the decision
    charger: str
    connector: int  # 0: the charger picks

    @property
    def label(self) -> str:
        """A few words for the LCD."""
        if self.action is None:
            return "Charger offline" if self.status == OFFLINE else self.status
        if self.status == "Accepted":
            return "Starting" if self.action == START else "Stopping"
        return {"timed_out": "No answer", "failed": "Charger error"}.get(self.status, "Refused")

    def as_data(self) -> dict[str, Any]:
        return {
            "charger": self.charger,
            "connector": self.connector,
            "action": self.action,
            "status": self.status,
        }


class Kiosk:
    """Starts and stops sessions on the ``kiosk_charger`` for cards tapped at the node."""

    def __init__(self, bridge: Bridge, policy: auth.Policy) -> None:
        self._bridge = bridge
        self._policy = policy
        self.charger = bridge.settings.kiosk_charger
        self.connector = bridge.settings.kiosk_connector

    async def tap(self, uid: str) -> tuple[auth.Decision, Outcome]:
        """Decide on the card and act on the charger; the decision and what was done."""
        state = self._bridge.state
        running = await state.run(self._session_of, uid)
        if running is not None:
            # The card of the session: 1.6 lets its own card end it, whatever the
            # cache says of the card now.
            decision = await state.run(auth.decide, uid, self._policy)
            payload = {"transactionId": running.transaction_id}
            return decision, await self._send(STOP, payload, running.connector_id)
        decision = await state.run(transactions.authorize, uid, self._policy)
        session = self._bridge.server.chargers.get(self.charger)
        if session is None:
            return decision, self._offline(START)
        # Odoo's word too, as the charger's own Authorize would get it.
        asked = await session.charge_point.ask_odoo(f"kiosk {uid}", uid, decision)
        decision = asked or decision
        if not decision.accepted:
            return decision, Outcome(None, decision.status, self.charger, self.connector)
        payload: dict[str, Any] = {"idTag": uid}
        if self.connector:
            payload["connectorId"] = self.connector
        return decision, await self._send(START, payload, self.connector)

    def _session_of(self, db: Any, uid: str) -> transactions.Active | None:
        """The session this card runs on the kiosk charger (and connector), if any."""
        for active in transactions.active(db, self.charger):
            if (not self.connector or active.connector_id == self.connector) and auth.tag_key(
                active.id_tag
            ) == auth.tag_key(uid):
                return active
        return None

    async def _send(self, action: str, payload: dict[str, Any], connector: int) -> Outcome:
        session = self._bridge.server.chargers.get(self.charger)
        if session is None:
            return self._offline(action)
        timeout = self._bridge.settings.command_timeout
        result = await send_call(session.charge_point, action, payload, timeout)
        status = result["status"]
        if status == "accepted":  # the charger's own word: Accepted or Rejected
            status = (result.get("response") or {}).get("status") or "Accepted"
        logger.info(
            "kiosk: %s on charger %s: %s",
            action,
            self.charger,
            status,
            extra={"event": "kiosk_command", "charger": self.charger, "status": status},
        )
        return Outcome(action, status, self.charger, connector)

    def _offline(self, action: str) -> Outcome:
        logger.warning(
            "kiosk: charger %s is not connected; %s not sent",
            self.charger,
            action,
            extra={"event": "kiosk_offline", "charger": self.charger},
        )
        return Outcome(None, OFFLINE, self.charger, self.connector)
