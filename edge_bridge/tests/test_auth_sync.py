"""Authorization fed by Odoo: the list it pulls into the cache, the tags it asks about."""

import asyncio
import dataclasses
import time

import pytest

from arthexis_bridge import auth
from arthexis_bridge.app import Bridge
from arthexis_bridge.odoo_client import OdooClient
from arthexis_bridge.settings import SettingsError, load_settings
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import QuietOdoo, base_url, eventually
from .test_sync import RecordingBackoff


class AuthOdoo(QuietOdoo):
    """An OdooClient for these tests: ``lists`` answer auth_list calls in turn (an
    exception is raised; once used up, the last version comes back unchanged),
    ``cards`` answer authorize, and ``hang`` makes authorize never answer."""

    def __init__(self, *lists, cards=None, hang=False):
        self.lists = list(lists)
        self.cards = cards or {}
        self.hang = hang
        self.since = []
        self.asked = []
        self.events = []
        self._version = 0

    async def ingest(self, events):
        self.events += events
        return [event["id"] for event in events]

    async def auth_list(self, since):
        self.since.append(since)
        answer = self.lists.pop(0) if self.lists else None
        if isinstance(answer, BaseException):
            raise answer
        if answer is None:
            return {"version": self._version, "full": False, "entries": []}
        self._version = answer["version"]
        for entry in answer["entries"]:  # what authorize says of them too, as in Odoo
            self.cards.setdefault(entry["id_tag"].upper(), entry)
        return answer

    async def authorize(self, id_tag, concurrent=False):
        self.asked.append(id_tag)
        if self.hang:
            await asyncio.Event().wait()
        return self.cards.get(id_tag.upper(), {"status": "Invalid"})


def card(id_tag, status="Accepted", expiry_date=False, parent_id_tag=False):
    """A card as Odoo's XML-RPC answers carry it (False for an absent value)."""
    return {
        "id_tag": id_tag,
        "status": status,
        "expiry_date": expiry_date,
        "parent_id_tag": parent_id_tag,
    }


FULL = {"version": 5, "full": True, "entries": [card("04A2B3C4"), card("0BAD", "Blocked")]}


async def delivered(bridge, odoo):
    """The events Odoo got, once the outbox is empty."""

    async def empty():
        return await bridge.outbox.depth() == 0

    await eventually(empty, what="the outbox to drain")
    return [event for event in odoo.events if "decision" in event["data"]]


def decisions(events):
    """(kind, id tag, decision) of each authorize and start event."""
    return [(e["kind"], e["data"]["id_tag"], e["data"]["decision"]) for e in events]


def test_auth_odoo_implements_the_client_interface():
    client: OdooClient = AuthOdoo()
    assert callable(client.auth_list) and callable(client.authorize)


async def test_a_full_list_fills_the_cache_and_answers_chargers(settings):
    odoo = AuthOdoo(FULL)
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await eventually(lambda: bridge.auth_refresh.refreshed, what="the first list")
        assert await bridge.state.run(auth.list_version) == 5
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            accepted = await charger.authorize("04a2b3c4")
            blocked = await charger.authorize("0BAD")
        events = await delivered(bridge, odoo)
    assert accepted.id_tag_info == {"status": "Accepted"}
    assert blocked.id_tag_info == {"status": "Blocked"}
    assert odoo.since == [0]
    # An accepted tag is asked about (is it charging on another node?); a refused one is not.
    assert odoo.asked == ["04a2b3c4"]
    assert [d["source"] for _, _, d in decisions(events)] == ["odoo", "cache"]


async def test_a_delta_blocks_a_tag_and_removes_an_archived_one(settings):
    delta = {
        "version": 6,
        "full": False,
        "entries": [card("04A2B3C4", "Blocked"), card("0BAD", "Invalid"), card("0NEW")],
    }
    odoo = AuthOdoo(FULL, delta)
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await eventually(lambda: bridge.auth_refresh.refreshed, what="the first list")
        assert await bridge.auth_refresh.refresh() == 6
        entries = await bridge.state.run(auth.entries)
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            blocked = await charger.authorize("04A2B3C4")
    assert odoo.since == [0, 5]
    assert entries == [auth.Entry("04A2B3C4", auth.BLOCKED), auth.Entry("0NEW")]
    assert blocked.id_tag_info == {"status": "Blocked"}


async def test_the_list_version_is_kept_across_a_restart(settings):
    async with Bridge(settings, odoo_client=AuthOdoo(FULL)) as bridge:
        await eventually(lambda: bridge.auth_refresh.refreshed, what="the first list")
    again = AuthOdoo({"version": 7, "full": False, "entries": [card("0NEW")]})
    async with Bridge(settings, odoo_client=again) as bridge:
        await eventually(lambda: bridge.auth_refresh.refreshed, what="the delta")
        entries = await bridge.state.run(auth.entries)
        version = await bridge.state.run(auth.list_version)
    assert again.since == [5]
    assert [entry.id_tag for entry in entries] == ["04A2B3C4", "0BAD", "0NEW"]
    assert version == 7


async def test_an_unreadable_list_leaves_the_cache_as_it_was(settings):
    bad = {"version": 6, "full": True, "entries": [card("04A2B3C4"), card("X" * 21)]}
    backoff = RecordingBackoff(initial=0.01, jitter=0)
    odoo = AuthOdoo(FULL, bad)
    async with Bridge(settings, odoo_client=odoo, auth_backoff=backoff) as bridge:
        await eventually(lambda: bridge.auth_refresh.refreshed, what="the first list")
        with pytest.raises(Exception, match="auth_list\\(\\): entry 'XXX"):
            await bridge.auth_refresh.refresh()
        entries = await bridge.state.run(auth.entries)
        version = await bridge.state.run(auth.list_version)
    assert [entry.id_tag for entry in entries] == ["04A2B3C4", "0BAD"]
    assert version == 5


async def test_odoo_answers_an_unknown_tag_and_the_cache_keeps_the_answer(settings):
    cards = {
        "0CAFE": {
            "status": "Accepted",
            "expiry_date": "2099-01-01T00:00:00Z",
            "parent_id_tag": "F",
        },
        "0DEAD": {"status": "Blocked", "expiry_date": False, "parent_id_tag": False},
    }
    odoo = AuthOdoo(cards=cards)
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            first = await charger.authorize("0cafe")
            second = await charger.authorize("0cafe")
            started = await charger.start_transaction(1, "0DEAD", 0)
            again = await charger.authorize("0DEAD")
        events = await delivered(bridge, odoo)
    # An accepted tag is asked again (is it charging on another node?); a blocked
    # one is answered from the cache.
    assert odoo.asked == ["0cafe", "0cafe", "0DEAD"]
    expected = {"status": "Accepted", "expiry_date": "2099-01-01T00:00:00.000Z"}
    assert first.id_tag_info == second.id_tag_info == {**expected, "parent_id_tag": "F"}
    assert started.id_tag_info == again.id_tag_info == {"status": "Blocked"}
    expected = {**expected, "parent_id_tag": "F"}
    assert decisions(events) == [
        ("authorize", "0cafe", {**expected, "source": "odoo"}),
        ("authorize", "0cafe", {**expected, "source": "odoo"}),
        ("transaction_started", "0DEAD", {"status": "Blocked", "source": "odoo"}),
        ("authorize", "0DEAD", {"status": "Blocked", "source": "cache"}),
    ]
    assert not any(e["data"].get("anomaly") for e in events)


@pytest.mark.parametrize(("policy", "status"), [("reject", "Invalid"), ("accept", "Accepted")])
async def test_an_odoo_that_hangs_leaves_the_tag_to_the_policy_within_the_timeout(
    settings, policy, status
):
    timeout = 0.3
    settings = dataclasses.replace(settings, unknown_tags=policy, authorize_timeout=timeout)
    odoo = AuthOdoo(hang=True)
    async with Bridge(settings, odoo_client=odoo) as bridge:
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            began = time.monotonic()
            authorized = await charger.authorize("0CAFE")
            waited = time.monotonic() - began
            started = await charger.start_transaction(1, "0CAFE", 0)
        events = await delivered(bridge, odoo)
    assert timeout <= waited < timeout + 1.0
    assert authorized.id_tag_info == started.id_tag_info == {"status": status}
    assert odoo.asked == ["0CAFE", "0CAFE"], "an unanswered tag is asked again"
    assert [e["data"]["decision"] for e in events] == [{"status": status, "source": "policy"}] * 2
    anomalies = [(e["data"].get("anomaly") or {}).get("code") for e in events]
    assert anomalies == (["offline_accept"] * 2 if policy == "accept" else [None] * 2)


async def test_refresh_failures_back_off_and_recover(settings):
    backoff = RecordingBackoff(initial=0.01, maximum=0.02, jitter=0)
    odoo = AuthOdoo(
        ConnectionRefusedError(111, "Connection refused"),
        {"version": 1},  # unreadable: no full, no entries
        FULL,
    )
    async with Bridge(settings, odoo_client=odoo, auth_backoff=backoff) as bridge:
        await eventually(lambda: bridge.auth_refresh.refreshed, what="a list after failures")
        entries = await bridge.state.run(auth.entries)
        failures = bridge.auth_refresh.failures
    assert odoo.since == [0, 0, 0]
    assert failures == 2
    assert backoff.delays == [0.01, 0.02]
    assert backoff.next() == 0.01, "a success resets the backoff"
    assert len(entries) == 2


async def test_a_standalone_bridge_asks_nobody(settings):
    async with Bridge(settings) as bridge:
        assert bridge.auth_refresh is None and bridge.authorizer is None
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            answer = await charger.authorize("0CAFE")
    assert answer.id_tag_info == {"status": "Invalid"}


def test_the_refresh_interval_and_timeout_are_settings():
    settings = load_settings(
        environ={"ARTHEXIS_BRIDGE_AUTH_REFRESH": "10", "ARTHEXIS_BRIDGE_AUTHORIZE_TIMEOUT": "0.5"}
    )
    assert (settings.auth_refresh, settings.authorize_timeout) == (10, 0.5)
    defaults = load_settings(environ={})
    assert (defaults.auth_refresh, defaults.authorize_timeout) == (60, 2.0)
    for name, value in [
        ("AUTH_REFRESH", "0"),
        ("AUTHORIZE_TIMEOUT", "0"),
        ("AUTHORIZE_TIMEOUT", "x"),
    ]:
        with pytest.raises(SettingsError, match=f"ARTHEXIS_BRIDGE_{name}"):
            load_settings(environ={f"ARTHEXIS_BRIDGE_{name}": value})
