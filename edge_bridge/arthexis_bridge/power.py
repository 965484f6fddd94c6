"""The site power limit: the node's limit shared among the sessions it serves.

Odoo holds the limit (``power_settings()``, docs/commands.md); the bridge reads
it at start and every ``interval`` seconds, and at every transaction start
and stop gives each active session an equal share as a ``TxProfile`` (its own
profile id and stack level, so staff profiles of a lower stack level stay
underneath). Shares are rounded down to 0.1 A (or 1 W), so the sum of the
limits sent never exceeds the site limit: when a session starts, the others'
shares only go down; when one stops, its profile ends with it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from . import transactions
from .commands import send_call
from .state import State
from .sync import Backoff, describe

logger = logging.getLogger(__name__)

PROFILE_ID = 900_000  # + the connector id: the bridge's own profiles, apart from Odoo's
STACK_LEVEL = 9  # above staff profiles of lower levels
SETTLE = 0.2  # seconds to gather starts and stops that come together


def share(settings: dict[str, Any], sessions: int) -> tuple[float, str] | None:
    """Each session's limit and its unit (A per phase, or W), or None: no limit."""
    limit = settings.get("site_limit")
    if not limit or sessions <= 0:
        return None
    if settings.get("unit") == "W":
        return math.floor(limit / sessions), "W"
    return math.floor(limit / sessions * 10) / 10, "A"


def tx_profile(connector_id: int, transaction_id: int, limit: float, unit: str) -> dict:
    return {
        "connectorId": connector_id,
        "csChargingProfiles": {
            "chargingProfileId": PROFILE_ID + connector_id,
            "transactionId": transaction_id,
            "stackLevel": STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


class PowerLimit:
    """The task that enforces the site limit; ``await power.run()``. Call
    :meth:`changed` at every transaction start and stop."""

    def __init__(
        self,
        client: Any,
        chargers: Callable[[], Mapping[str, Any]],
        state: State,
        *,
        interval: float = 300.0,
        timeout: float = 30.0,
    ) -> None:
        self._client = client
        self._chargers = chargers
        self._state = state
        self._interval = interval
        self._timeout = timeout
        self._backoff = Backoff(maximum=interval)
        self._changed = asyncio.Event()
        self.settings: dict[str, Any] | None = None
        #: Profiles sent, and the share last given.
        self.sent = 0
        self.last_share: tuple[float, str] | None = None
        self._shared: set[int] = set()  # transactions given a share before

    def changed(self, _charger: str | None = None) -> None:
        self._changed.set()

    async def run(self) -> None:
        await asyncio.gather(self._read_loop(), self._share_loop())

    async def _read_loop(self) -> None:
        while True:
            try:
                settings = await self._client.power_settings()
            except Exception as error:
                delay = self._backoff.next()
                logger.warning(
                    "cannot read the site power limit from Odoo (%s); retrying in %.1f s",
                    describe(error),
                    delay,
                    extra={"event": "power_settings_failed"},
                )
                await asyncio.sleep(delay)
                continue
            self._backoff.reset()
            if settings != self.settings:
                logger.info("site power limit: %s", settings, extra={"event": "power_settings"})
                self.settings = settings
                self._changed.set()
            await asyncio.sleep(self._interval)

    async def _share_loop(self) -> None:
        while True:
            await self._changed.wait()
            await asyncio.sleep(SETTLE)
            self._changed.clear()
            try:
                await self.share()
            except Exception:
                logger.exception("cannot share the site power limit")

    async def share(self) -> int:
        """Send every active session its share; return how many were sent."""
        if not self.settings:
            return 0
        connected = self._chargers()
        sessions = [
            active
            for active in await self._state.run(transactions.active)
            if active.charger in connected
        ]
        each = share(self.settings, len(sessions))
        if each is None:
            return 0
        self.last_share = each
        # The sessions that had a share first, then the new ones: shares that go down
        # are taken before new ones are given, so their sum never passes the limit.
        results = []
        for new in (False, True):
            calls = []
            for active in sessions:
                if (active.transaction_id not in self._shared) != new:
                    continue
                payload = tx_profile(active.connector_id, active.transaction_id, *each)
                charge_point = connected[active.charger].charge_point
                calls.append(send_call(charge_point, "SetChargingProfile", payload, self._timeout))
            results += await asyncio.gather(*calls)
        self._shared = {active.transaction_id for active in sessions}
        self.sent += len(results)
        refused = [r for r in results if (r.get("response") or {}).get("status") != "Accepted"]
        if refused:
            logger.warning(
                "site power limit: %d of %d chargers did not take their share",
                len(refused),
                len(results),
                extra={"event": "power_share_refused"},
            )
        return len(results)
