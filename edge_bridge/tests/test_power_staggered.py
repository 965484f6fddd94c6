"""Sessions that start one after another (each asked of Odoo, say) share the site
limit anew at each start: the shares given before go down before the new session
gets its own, so the limits on the chargers never add up to more than the limit."""

import contextlib

from arthexis_bridge.app import Bridge
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import base_url, eventually
from .test_commands_power import SITE_LIMIT, SiteOdoo


def profile_sent(charger, share):
    """When the charger got a SetChargingProfile limiting it to ``share``."""
    for at, action, payload in charger.received:
        schedule = payload.get("csChargingProfiles", {}).get("chargingSchedule", {})
        periods = schedule.get("chargingSchedulePeriod") or [{}]
        if action == "SetChargingProfile" and periods[0].get("limit") == share:
            return at
    return None


async def test_a_new_session_gets_its_share_after_the_others_are_lowered(settings):
    async with Bridge(settings, odoo_client=SiteOdoo()) as bridge:
        # Started last to first: the newest session comes first in the bridge's list.
        chargers = [SimulatedCharger(base_url(bridge), f"SITE-{n}", connectors=1) for n in range(4)]
        async with contextlib.AsyncExitStack() as stack:
            for charger in chargers:
                await stack.enter_async_context(charger)
                await charger.boot()
            started = []
            for charger in reversed(chargers):
                await charger.start_transaction(1, charger.id, 0)
                started.append(charger)
                share = int(SITE_LIMIT / len(started) * 10) / 10
                await eventually(
                    lambda share=share: all(c.limits.get(1) == (share, "A") for c in started),
                    what=f"{len(started)} sessions limited to {share} A",
                )
                new = profile_sent(charger, share)
                lowered = [profile_sent(c, share) for c in started[:-1]]
                assert all(at <= new for at in lowered), f"{charger.id} got {share} A first"
