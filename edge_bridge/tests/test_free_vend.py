"""The registry's require_rfid: a free-vend charger charges without a known card."""

from arthexis_bridge import chargers
from arthexis_bridge.chargers import Charger
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import stored_events


async def test_a_free_vend_charger_is_accepted_whatever_tag_and_a_card_charger_is_not(
    bridge, url, settings
):
    await bridge.state.run(
        chargers.replace_all,
        [Charger("CP-FREE", require_rfid=False), Charger("CP-CARD", require_rfid=True)],
    )
    async with (
        SimulatedCharger(url, "CP-FREE") as free,
        SimulatedCharger(url, "CP-CARD") as card,
    ):
        await free.boot()
        await card.boot()
        assert (await free.authorize("NOBODY")).id_tag_info["status"] == "Accepted"
        # The same tag on both connectors: a free-vend charger's usual fixed tag.
        first = await free.start_transaction(1, "FREEVEND", 0)
        second = await free.start_transaction(2, "FREEVEND", 0)
        assert [first.id_tag_info["status"], second.id_tag_info["status"]] == ["Accepted"] * 2
        assert first.transaction_id != second.transaction_id

        # unknown_tags is reject: a charger that needs a card gets no session for a stranger.
        assert (await card.authorize("NOBODY")).id_tag_info["status"] == "Invalid"
        refused = await card.start_transaction(1, "NOBODY", 0)
        assert refused.id_tag_info["status"] == "Invalid"

        # Staff switch free vend off: the next tap needs a card, no reconnect needed.
        await bridge.state.run(chargers.put, Charger("CP-FREE", require_rfid=True))
        assert (await free.authorize("NOBODY")).id_tag_info["status"] == "Invalid"

    decisions = [
        (e["charger"], e["kind"], e["data"]["decision"]["source"])
        for e in stored_events(settings.outbox_path)
        if "decision" in e["data"]
    ]
    assert decisions == [
        ("CP-FREE", "authorize", "free_vend"),
        ("CP-FREE", "transaction_started", "free_vend"),
        ("CP-FREE", "transaction_started", "free_vend"),
        ("CP-CARD", "authorize", "policy"),
        ("CP-CARD", "transaction_started", "policy"),
        ("CP-FREE", "authorize", "policy"),
    ]
