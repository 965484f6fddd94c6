"""Authorization at the edge: the local cache answers at once; the policy decides the rest."""

import dataclasses

import pytest

from arthexis_bridge import auth
from arthexis_bridge.app import Bridge
from arthexis_bridge.simulator import SimulatedCharger
from arthexis_bridge.state import connect

from .helpers import base_url, stored_events

PAST = "2020-01-01T00:00:00Z"
FUTURE = "2099-01-01T00:00:00Z"


async def answers(settings, entries, *tags):
    """Authorize each tag, then start a transaction with it; return the answers and events."""
    async with Bridge(settings) as bridge:
        for entry in entries:
            await bridge.state.run(auth.put, entry)
        async with SimulatedCharger(base_url(bridge), "CP-1") as charger:
            result = []
            for connector_id, tag in enumerate(tags, start=1):
                authorized = await charger.authorize(tag)
                started = await charger.start_transaction(connector_id, tag, 0)
                result.append((authorized.id_tag_info, started.id_tag_info))
    return result, stored_events(settings.outbox_path)


async def test_an_unknown_tag_is_rejected_by_default(settings):
    [(authorized, started)], events = await answers(settings, [], "NOBODY")
    assert authorized == started == {"status": "Invalid"}
    assert [e["data"]["decision"] for e in events] == [
        {"status": "Invalid", "source": "policy"}
    ] * 2
    assert not any("anomaly" in e["data"] for e in events)


async def test_an_unknown_tag_accepted_by_policy_is_flagged_offline_accept(settings):
    accepting = dataclasses.replace(settings, unknown_tags="accept")
    [(authorized, started)], events = await answers(accepting, [], "NOBODY")
    assert authorized == started == {"status": "Accepted"}
    for event in events:
        assert event["data"]["decision"] == {"status": "Accepted", "source": "policy"}
        assert event["data"]["anomaly"]["code"] == "offline_accept"


@pytest.mark.parametrize(
    ("entry", "status"),
    [
        (auth.Entry("TAG", auth.BLOCKED), "Blocked"),
        (auth.Entry("TAG", auth.ACCEPTED, PAST), "Expired"),
        (auth.Entry("TAG", auth.BLOCKED, PAST), "Blocked"),
        (auth.Entry("TAG", auth.EXPIRED), "Expired"),
        (auth.Entry("TAG", auth.INVALID), "Invalid"),
    ],
)
async def test_blocked_expired_and_invalid_tags_are_refused_even_when_policy_accepts(
    settings, entry, status
):
    accepting = dataclasses.replace(settings, unknown_tags="accept")
    [(authorized, started)], events = await answers(accepting, [entry], "TAG")
    assert authorized["status"] == started["status"] == status
    assert {e["data"]["decision"]["source"] for e in events} == {"cache"}
    assert not any("anomaly" in e["data"] for e in events)


async def test_the_answer_carries_expiry_and_parent(settings):
    entry = auth.Entry("TAG", auth.ACCEPTED, "2099-01-01T01:00:00+01:00", "GROUP")
    [(authorized, _)], events = await answers(settings, [entry], "TAG")
    assert authorized == {
        "status": "Accepted",
        "parent_id_tag": "GROUP",
        "expiry_date": "2099-01-01T00:00:00.000Z",
    }
    assert events[0]["data"]["decision"] == {
        "status": "Accepted",
        "source": "cache",
        "expiry_date": "2099-01-01T00:00:00.000Z",
        "parent_id_tag": "GROUP",
    }


async def test_tags_are_compared_case_insensitively_and_kept_as_sent(settings):
    results, events = await answers(settings, [auth.Entry("CAFE01")], "cafe01", "CaFe01")
    assert results[0] == ({"status": "Accepted"}, {"status": "Accepted"})
    # The same tag in another spelling is already charging.
    assert results[1] == ({"status": "ConcurrentTx"}, {"status": "ConcurrentTx"})
    assert [e["data"]["id_tag"] for e in events] == ["cafe01", "cafe01", "CaFe01", "CaFe01"]


async def test_case_sensitive_tags_match_only_as_entered(settings):
    sensitive = dataclasses.replace(settings, id_tag_case_insensitive=False)
    results, _ = await answers(sensitive, [auth.Entry("CAFE01")], "cafe01", "CAFE01")
    assert results == [
        ({"status": "Invalid"}, {"status": "Invalid"}),
        ({"status": "Accepted"}, {"status": "Accepted"}),
    ]


def test_a_list_from_odoo_replaces_or_updates_the_cache_with_its_version(tmp_path):
    db = connect(tmp_path / "bridge.sqlite3")
    try:
        assert auth.list_version(db) is None
        auth.put(db, auth.Entry("LOCAL"))
        auth.apply(db, 3, [auth.Entry("A"), auth.Entry("B", auth.BLOCKED)], full=True)
        after_full = auth.entries(db)
        auth.apply(db, 4, [auth.Entry("b"), auth.Entry("C", expiry_date=FUTURE)], removed=["a"])
        after_delta = auth.entries(db)
        version = auth.list_version(db)
    finally:
        db.close()
    assert after_full == [auth.Entry("A"), auth.Entry("B", auth.BLOCKED)]
    assert after_delta == [auth.Entry("b"), auth.Entry("C", expiry_date="2099-01-01T00:00:00.000Z")]
    assert version == 4


@pytest.mark.parametrize(
    "make",
    [
        lambda: auth.Entry(""),
        lambda: auth.Entry("X" * 21),
        lambda: auth.Entry("A", "Maybe"),
        lambda: auth.Entry("A", expiry_date="soon"),
        lambda: auth.Entry("A", parent_id_tag="P" * 21),
    ],
)
def test_an_entry_refuses_what_1_6_cannot_carry(make):
    with pytest.raises(ValueError):
        make()
