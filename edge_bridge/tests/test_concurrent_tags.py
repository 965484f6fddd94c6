"""ConcurrentTx across bridges: Authorize and StartTransaction ask Odoo whether a
card accepted here charges on another node, and decide alone when Odoo does not
answer in time. Odoo's side is tests/e2e/test_concurrent_cards.py."""

import asyncio
import dataclasses
import time

from arthexis_bridge import auth
from arthexis_bridge.app import Bridge
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import QuietOdoo, base_url, eventually

CARD = "04C0FFEE"


class ConcurrencyOdoo(QuietOdoo):
    """Answers authorize as Odoo does: every tag is an Accepted card, ConcurrentTx
    when asked with ``concurrent`` about one in ``charging`` (a session Odoo holds
    active, on any node). ``hang``: never answers. ``down``: ingest fails, so events
    stay in the bridge's outbox."""

    def __init__(self):
        self.charging = set()
        self.hang = False
        self.down = False
        self.asked = []

    async def ingest(self, events):
        if self.down:
            raise ConnectionRefusedError("Odoo is down")
        return [event["id"] for event in events]

    async def authorize(self, id_tag, concurrent=False):
        self.asked.append((id_tag, concurrent))
        if self.hang:
            await asyncio.Event().wait()
        status = "ConcurrentTx" if concurrent and id_tag in self.charging else "Accepted"
        return {"status": status, "expiry_date": False, "parent_id_tag": False}


async def test_a_card_charging_on_another_node_gets_concurrent_tx(settings):
    odoo = ConcurrencyOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            assert (await charger.authorize(CARD)).id_tag_info["status"] == "Accepted"
            odoo.charging.add(CARD)  # it starts on a charger of another bridge
            assert (await charger.authorize(CARD)).id_tag_info["status"] == "ConcurrentTx"
            started = await charger.start_transaction(1, CARD, 0)
            assert started.id_tag_info["status"] == "ConcurrentTx"
            odoo.charging.discard(CARD)  # it stopped there
            started = await charger.start_transaction(2, CARD, 0)
            assert started.id_tag_info["status"] == "Accepted"
        # The card stays Accepted in the cache: ConcurrentTx is said once, not kept.
        entries = await bridge.state.run(auth.entries)
    assert entries == [auth.Entry(CARD)]
    assert set(odoo.asked) == {(CARD, True)}, "always asked with concurrent"


async def test_a_card_charging_here_is_concurrent_whatever_odoo_says(settings):
    odoo = ConcurrencyOdoo()  # Odoo has not had the start yet: it says Accepted
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            assert (await charger.start_transaction(1, CARD, 0)).id_tag_info["status"] == "Accepted"
            again = await charger.start_transaction(2, CARD, 0)
    assert again.id_tag_info["status"] == "ConcurrentTx"


async def test_without_an_answer_in_time_the_bridge_decides_alone_and_stops_asking(settings):
    timeout = 0.3
    settings = dataclasses.replace(settings, authorize_timeout=timeout)
    odoo = ConcurrencyOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            await charger.authorize(CARD)  # known now, from Odoo's answer
            odoo.hang = True
            began = time.monotonic()
            started = await charger.start_transaction(1, CARD, 0)
            waited = time.monotonic() - began
            assert started.id_tag_info["status"] == "Accepted"
            assert timeout <= waited < timeout + 1.0
            # Odoo failed a moment ago: a known card is not asked about, not waited for.
            asked = len(odoo.asked)
            began = time.monotonic()
            again = await charger.start_transaction(2, CARD, 0)
            assert time.monotonic() - began < timeout
            assert again.id_tag_info["status"] == "ConcurrentTx"  # the bridge's own decision
            assert len(odoo.asked) == asked


async def test_a_stop_odoo_has_not_received_yet_does_not_make_a_concurrent_tx(settings):
    odoo = ConcurrencyOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            await charger.authorize(CARD)
            await charger.authorize("04OTHER")
            odoo.down = True  # events wait in the outbox: Odoo sees the session go on
            started = await charger.start_transaction(1, CARD, 0)
            odoo.charging.add(CARD)
            await charger.stop_transaction(started.transaction_id, 10)
            await eventually(lambda: bridge.outbox.size >= 2, what="the events kept")
            restarted = await charger.start_transaction(1, CARD, 10)
            # A card that did not stop here: Odoo's ConcurrentTx stands.
            odoo.charging.add("04OTHER")
            other = await charger.start_transaction(2, "04OTHER", 0)
    assert restarted.id_tag_info["status"] == "Accepted"
    assert other.id_tag_info["status"] == "ConcurrentTx"
