"""/metrics labels each frame with the action of the CALL it is or answers,
in both directions, also when the bridge sends a CALL of its own (a command)."""

from arthexis_bridge.app import Bridge
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import base_url, eventually
from .test_commands import CommandOdoo
from .test_metrics import scrape


def messages(found, direction, action):
    return found.get(
        f'arthexis_bridge_messages_total{{direction="{direction}",action="{action}"}}', 0
    )


async def test_a_command_and_its_answer_count_under_the_command_action(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            await charger.heartbeat()  # the last frame in before the command goes out
            reset = odoo.queue("CP-1", "Reset", {"type": "Soft"})
            await eventually(lambda: reset in odoo.results, what="the Reset answer")
            await charger.heartbeat()
            found = await scrape(bridge)
    # The CALL the bridge sent, and the CALLRESULT the charger answered it with.
    assert messages(found, "out", "Reset") == 1
    assert messages(found, "in", "Reset") == 1
    # Each CALLRESULT the bridge sent, under the CALL it answered.
    assert messages(found, "in", "Heartbeat") == messages(found, "out", "Heartbeat") == 2
    assert messages(found, "in", "BootNotification") == 1
    assert messages(found, "out", "BootNotification") == 1
    assert messages(found, "in", "unknown") == messages(found, "out", "unknown") == 0
