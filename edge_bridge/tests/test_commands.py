"""Commands from Odoo: pulled by the bridge, sent to the charger, answers reported.

Odoo itself is covered by tests/e2e/test_commands.py; here an in-test client
holds the queue, so the bridge's side (order, timeouts, retries, restarts) can
be driven precisely.
"""

import asyncio
import contextlib
import dataclasses

from arthexis_bridge.app import Bridge
from arthexis_bridge.commands import MAX_POLLS
from arthexis_bridge.simulator import CALL_ERROR, NO_ANSWER, SimulatedCharger

from .helpers import QuietOdoo, base_url, eventually

CHANGE = {"key": "HeartbeatInterval", "value": "9"}


class CommandOdoo(QuietOdoo):
    """The command API as docs/commands.md has it, in memory: ``queue(...)`` adds a
    command and wakes the long poll; ``results`` is what the bridge reported.
    ``failing_results`` makes that many command_results calls fail first."""

    def __init__(self, failing_results=0):
        self.queued = {}  # id -> command, with its state
        self.results = {}
        self.polls = []  # (wait, chargers) of each commands() call
        self.failing_results = failing_results
        self.events = []
        self.open_polls = self.most_open = 0
        self._added = asyncio.Event()

    async def ingest(self, events):
        self.events += events
        return [event["id"] for event in events]

    async def authorize(self, id_tag, concurrent=False):
        return {"status": "Accepted", "expiry_date": False, "parent_id_tag": False}

    async def power_settings(self):
        return {"site_limit": False, "unit": "A", "phases": 3, "voltage": 230.0}

    def queue(self, charger, action, payload):
        cid = len(self.queued) + 1
        self.queued[cid] = {
            "id": cid,
            "charger": charger,
            "action": action,
            "payload": payload,
            "expires_at": "2099-01-01T00:00:00Z",
            "state": "queued",
        }
        self._added.set()
        return cid

    def _queued(self, chargers):
        return [
            {k: v for k, v in c.items() if k != "state"}
            for c in self.queued.values()
            if c["state"] == "queued" and (chargers is None or c["charger"] in chargers)
        ]

    async def commands(self, wait, chargers):
        self.open_polls += bool(wait)
        self.most_open = max(self.most_open, self.open_polls)
        try:
            return await self._commands(wait, chargers)
        finally:
            self.open_polls -= bool(wait)

    async def _commands(self, wait, chargers):
        self.polls.append((wait, chargers))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        found = self._queued(chargers)
        while not found and loop.time() < deadline:
            self._added.clear()
            try:
                await asyncio.wait_for(self._added.wait(), deadline - loop.time())
            except TimeoutError:
                break
            found = self._queued(chargers)
        return found

    async def command_sent(self, ids):
        for cid in ids:
            if self.queued[cid]["state"] == "queued":
                self.queued[cid]["state"] = "sent"
        return [cid for cid in ids if self.queued[cid]["state"] == "sent"]

    async def command_results(self, results):
        if self.failing_results:
            self.failing_results -= 1
            raise ConnectionRefusedError("Odoo is down")
        for result in results:
            self.results[result["id"]] = result
            self.queued[result["id"]]["state"] = result["status"]
        return [result["id"] for result in results]


async def test_a_command_reaches_the_charger_and_its_answer_reaches_odoo(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            reset = odoo.queue("CP-1", "Reset", {"type": "Soft"})
            await eventually(lambda: reset in odoo.results, what="the Reset answer")
            assert charger.received_calls("Reset") == [{"type": "Soft"}]
            assert odoo.results[reset] == {
                "id": reset,
                "status": "accepted",
                "response": {"status": "Accepted"},
            }
            # Rejected, a CALLERROR: as the charger said.
            charger.answers = {"UnlockConnector": "UnlockFailed", "ClearCache": CALL_ERROR}
            unlock = odoo.queue("CP-1", "UnlockConnector", {"connectorId": 1})
            clear = odoo.queue("CP-1", "ClearCache", {})
            await eventually(lambda: {unlock, clear} <= set(odoo.results), what="two answers")
        assert odoo.results[unlock]["response"] == {"status": "UnlockFailed"}
        assert odoo.results[clear]["status"] == "failed"
        assert odoo.results[clear]["response"]["error_code"] == "NotSupported"


async def test_no_answer_is_reported_timed_out_and_order_is_kept(settings):
    odoo = CommandOdoo()
    settings = dataclasses.replace(settings, command_timeout=0.3)
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            charger.answers = {"Reset": NO_ANSWER}
            ids = [
                odoo.queue("CP-1", "Reset", {"type": "Hard"}),
                odoo.queue("CP-1", "ChangeConfiguration", CHANGE),
                odoo.queue("CP-1", "GetConfiguration", {"key": ["HeartbeatInterval"]}),
            ]
            await eventually(lambda: set(ids) <= set(odoo.results), what="three answers")
            # One at a time, oldest first: the change is read back.
            assert [action for _t, action, _p in charger.received] == [
                "Reset",
                "ChangeConfiguration",
                "GetConfiguration",
            ]
    assert odoo.results[ids[0]]["status"] == "timed_out"
    assert odoo.results[ids[2]]["response"]["configurationKey"] == [
        {"key": "HeartbeatInterval", "readonly": False, "value": "9"}
    ]


async def test_a_command_for_an_offline_charger_goes_out_when_it_connects(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        waiting = odoo.queue("CP-9", "TriggerMessage", {"requestedMessage": "Heartbeat"})
        await asyncio.sleep(0.2)
        assert odoo.queued[waiting]["state"] == "queued"  # not claimed while it is away
        async with SimulatedCharger(base_url(bridge), "CP-9") as charger:
            await charger.boot()
            await eventually(lambda: waiting in odoo.results, within=2, what="the queued command")
            # The charger answered, then sent what was asked for.
            await eventually(lambda: charger.answered, what="the triggered Heartbeat")


async def test_results_survive_an_odoo_outage_and_a_restart(settings):
    odoo = CommandOdoo(failing_results=10**6)
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            cid = odoo.queue("CP-1", "Reset", {"type": "Soft"})
            await eventually(lambda: bridge.commands.pending, what="a result to report")
    assert cid not in odoo.results
    odoo.failing_results = 0
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await eventually(lambda: cid in odoo.results, what="the kept result reported")
        await eventually(lambda: not bridge.commands.pending, what="the result forgotten")
    assert odoo.results[cid]["status"] == "accepted"


async def test_an_idle_bridge_keeps_one_long_poll_open(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        assert odoo.polls == []  # no charger: nothing to ask for
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            await charger.boot()
            await asyncio.sleep(0.5)
    assert odoo.polls == [(25, ["CP-1"])]


async def test_a_charger_connecting_during_a_long_poll_gets_its_commands_at_once(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as first:
            await first.boot()
            await eventually(lambda: odoo.polls, what="the long poll")  # names CP-1 only
            waiting = odoo.queue("CP-2", "Reset", {"type": "Soft"})
            async with SimulatedCharger(base_url(bridge), "CP-2") as second:
                await second.boot()
                await eventually(lambda: waiting in odoo.results, within=1, what="its command")
                # The long poll now names it: a new command goes out at once too.
                later = odoo.queue("CP-2", "ClearCache", {})
                await eventually(lambda: later in odoo.results, within=1, what="a new command")
                assert [action for _t, action, _p in second.received] == ["Reset", "ClearCache"]
    assert (0, ["CP-2"]) in odoo.polls


async def test_remote_start_runs_a_session_that_remote_stop_ends(settings):
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1", connectors=2) as charger:
            charger.meter_interval = 0.05
            await charger.boot()
            start = odoo.queue(
                "CP-1", "RemoteStartTransaction", {"idTag": "CARD", "connectorId": 2}
            )
            await eventually(lambda: charger.active.get(2), what="the session")
            transaction_id = charger.active[2]
            await eventually(lambda: charger.registers[2] > 0, what="meter values")
            stop = odoo.queue("CP-1", "RemoteStopTransaction", {"transactionId": transaction_id})
            await eventually(lambda: not charger.active, what="the session stopped")
            await eventually(lambda: {start, stop} <= set(odoo.results), what="both answers")
    assert odoo.results[start]["response"] == {"status": "Accepted"}
    assert odoo.results[stop]["response"] == {"status": "Accepted"}
    kinds = [event["kind"] for event in odoo.events if event["charger"] == "CP-1"]
    assert "transaction_started" in kinds and "transaction_stopped" in kinds


async def test_chargers_connecting_one_by_one_get_their_commands_within_a_second(settings):
    # Each connect opens a new long poll; past MAX_POLLS open, the newest chargers
    # are asked for with short polls until an older long poll ends.
    odoo = CommandOdoo()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with contextlib.AsyncExitStack() as stack:
            chargers = []
            for n in range(5):
                charger = SimulatedCharger(base_url(bridge), f"CP-{n}")
                await stack.enter_async_context(charger)
                await charger.boot()
                chargers.append(charger)
                await asyncio.sleep(0.2)
            for charger in chargers:
                cid = odoo.queue(charger.id, "ClearCache", {})
                await eventually(lambda cid=cid: cid in odoo.results, within=2, what=charger.id)
    assert odoo.most_open == MAX_POLLS  # long polls held open in Odoo at once, at most
