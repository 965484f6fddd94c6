"""The site power limit: shared among active sessions, never exceeded."""

import asyncio
import contextlib

import pytest

from arthexis_bridge.app import Bridge
from arthexis_bridge.power import share
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import base_url, eventually
from .test_commands import CommandOdoo

SITE_LIMIT = 32.0  # A per phase


class SiteOdoo(CommandOdoo):
    async def power_settings(self):
        return {"site_limit": SITE_LIMIT, "unit": "A", "phases": 3, "voltage": 230.0}


def test_shares_round_down_so_their_sum_stays_within_the_limit():
    assert share({"site_limit": 32, "unit": "A"}, 3) == (10.6, "A")
    assert share({"site_limit": 22000, "unit": "W"}, 3) == (7333, "W")
    assert share({"site_limit": False, "unit": "A"}, 3) is None


async def test_ten_concurrent_sessions_never_exceed_the_site_limit(settings):
    async with Bridge(settings, odoo_client=SiteOdoo()) as bridge:
        chargers = [
            SimulatedCharger(base_url(bridge), f"SITE-{n}", connectors=1) for n in range(10)
        ]
        sums = []

        def sample():
            sums.append(sum(limit for c in chargers for limit, _unit in c.limits.values()))

        async def watch():
            while True:
                sample()
                await asyncio.sleep(0.005)

        async with contextlib.AsyncExitStack() as stack:
            for charger in chargers:
                await stack.enter_async_context(charger)
                await charger.boot()
            watcher = asyncio.create_task(watch())
            starts = await asyncio.gather(*(c.start_transaction(1, c.id, 0) for c in chargers))
            await eventually(
                lambda: all(c.limits.get(1) == (3.2, "A") for c in chargers),
                what="each of the 10 sessions limited to 3.2 A",
            )
            sample()  # the steady state, even if a loaded loop starved the watcher
            # Half stop: the others get more, the sum still within the limit.
            await asyncio.gather(
                *(
                    c.stop_transaction(s.transaction_id, 100)
                    for c, s in zip(chargers[:5], starts[:5], strict=True)
                )
            )
            await eventually(
                lambda: all(c.limits.get(1) == (6.4, "A") for c in chargers[5:]),
                what="the 5 remaining sessions raised to 6.4 A",
            )
            sample()
            watcher.cancel()
        profile = chargers[9].profiles[1]
        assert profile["charging_profile_purpose"] == "TxProfile"
        assert profile["transaction_id"] == starts[9].transaction_id
    assert max(sums) <= SITE_LIMIT + 1e-9  # float sums of the 0.1 A shares
    assert max(sums) == pytest.approx(SITE_LIMIT)  # and the whole limit was used
