"""The charger registry: registration at boot, unknown chargers, refresh from Odoo."""

import asyncio
import dataclasses
import logging

import pytest
from ocpp.exceptions import GenericError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from arthexis_bridge import chargers
from arthexis_bridge.app import Bridge
from arthexis_bridge.chargers import Charger
from arthexis_bridge.odoo_client import OdooClient, OdooError
from arthexis_bridge.simulator import SimulatedCharger
from arthexis_bridge.state import State
from arthexis_bridge.sync import Backoff, ChargerRefresh

from .helpers import HEARTBEAT_INTERVAL, QuietOdoo, call, eventually, stored_events
from .test_passwords import CHEAP_HASH

BOOT = {"chargePointVendor": "ACME", "chargePointModel": "Volt 22"}


@pytest.fixture
async def bridge_with(settings):
    """Start a bridge with changed settings; all are stopped at the end."""
    started = []

    async def start(**changes):
        bridge = Bridge(dataclasses.replace(settings, **changes))
        await bridge.start()
        started.append(bridge)
        return bridge

    yield start
    for bridge in started:
        await bridge.stop()


def ws_url(bridge):
    return f"ws://127.0.0.1:{bridge.port}/ocpp"


def boots(settings):
    return [e["data"] for e in stored_events(settings.outbox_path) if e["kind"] == "boot"]


async def test_the_registry_keeps_entries_and_replaces_them_all_at_once(tmp_path):
    async with State(tmp_path / "bridge.sqlite3") as state:
        await state.run(chargers.put, Charger("CP-1", chargers.PENDING, CHEAP_HASH))
        await state.run(chargers.put, Charger("CP-2", require_rfid=False))
        assert await state.run(chargers.get, "CP-1") == Charger("CP-1", "Pending", CHEAP_HASH)
        assert await state.run(chargers.get, "cp-1") is None  # ids are case-sensitive
        await state.run(chargers.replace_all, [Charger("CP-3", chargers.REJECTED)])
        assert await state.run(chargers.entries) == [Charger("CP-3", "Rejected")]
        assert await state.run(chargers.remove, "CP-3")
        assert not await state.run(chargers.remove, "CP-3")
        assert await state.run(chargers.registration_of, "CP-3", "pending") == "Pending"


@pytest.mark.parametrize(
    "row",
    [
        {"charge_point_id": "CP-1", "registration": "Maybe", "password_hash": False},
        {"charge_point_id": "", "registration": "Accepted"},
        {"charge_point_id": "CP-1", "registration": "Accepted", "require_rfid": True},
        {
            "charge_point_id": "CP-1",
            "registration": "Accepted",
            "password_hash": 42,
            "require_rfid": True,
        },
        ["CP-1"],
    ],
)
def test_a_malformed_odoo_row_is_refused(row):
    with pytest.raises(ValueError):
        Charger.from_odoo(row)


async def test_unknown_chargers_accept_by_default(bridge, url, settings):
    async with SimulatedCharger(url, "NEW-1") as charger:
        answer = await charger.boot()
        await charger.heartbeat()
    assert answer.status == "Accepted"
    assert boots(settings)[0]["registration"] == "Accepted"


async def test_unknown_chargers_reject_refuses_them_with_404_at_the_handshake(bridge_with, caplog):
    bridge = await bridge_with(unknown_chargers="reject")
    await bridge.state.run(chargers.put, Charger("KNOWN"))
    with pytest.raises(InvalidStatus) as caught:
        async with connect(f"{ws_url(bridge)}/NEW-1", subprotocols=["ocpp1.6"]):
            pass
    assert caught.value.response.status_code == 404
    assert "charger NEW-1 refused from 127.0.0.1" in caplog.text
    assert "not in the charger registry" in caplog.text
    async with SimulatedCharger(ws_url(bridge), "KNOWN") as charger:
        assert (await charger.boot()).status == "Accepted"


async def test_unknown_chargers_pending_are_answered_pending_and_may_send_nothing_else(
    bridge_with, settings
):
    bridge = await bridge_with(unknown_chargers="pending")
    async with connect(f"{ws_url(bridge)}/NEW-1", subprotocols=["ocpp1.6"]) as websocket:
        # Before any boot, a Pending charger's other calls are refused...
        answer = await call(websocket, "h0", "Heartbeat", {})
        assert answer[:3] == [4, "h0", "GenericError"]
        assert "not accepted (registration Pending)" in answer[3]
        # ...its boot is answered Pending, with the interval to wait...
        answer = await call(websocket, "b1", "BootNotification", BOOT)
        assert answer[0] == 3 and answer[2]["status"] == "Pending"
        assert answer[2]["interval"] == HEARTBEAT_INTERVAL
        # ...and after it too; a malformed frame still gets its own error.
        answer = await call(websocket, "h1", "Heartbeat", {})
        assert answer[:3] == [4, "h1", "GenericError"]
        answer = await call(websocket, "s1", "StatusNotification", {"connectorId": 1})
        assert answer[:3] == [4, "s1", "ProtocolError"]
    [event] = stored_events(settings.outbox_path)  # the refused calls are not recorded
    assert event["kind"] == "boot"
    assert event["data"]["registration"] == "Pending"


async def test_a_known_charger_gets_what_the_registry_says_at_each_boot(bridge, url, settings):
    await bridge.state.run(chargers.put, Charger("CP-R", chargers.REJECTED))
    await bridge.state.run(chargers.put, Charger("CP-P", chargers.PENDING))
    async with SimulatedCharger(url, "CP-R") as charger:
        assert (await charger.boot()).status == "Rejected"
        with pytest.raises(GenericError, match="registration Rejected"):
            await charger.heartbeat()
    async with SimulatedCharger(url, "CP-P") as charger:
        assert (await charger.boot()).status == "Pending"
        # Staff accept it: the next boot is Accepted, and the charger may go on.
        await bridge.state.run(chargers.put, Charger("CP-P"))
        assert (await charger.boot()).status == "Accepted"
        await charger.heartbeat()
    assert [b["registration"] for b in boots(settings)] == ["Rejected", "Pending", "Accepted"]


class RegistryOdoo(QuietOdoo):
    """An OdooClient whose chargers() answers come from the test, in turn."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    async def chargers(self):
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def odoo_row(cp_id, registration="Accepted", password_hash=False, require_rfid=True):
    return {
        "charge_point_id": cp_id,
        "registration": registration,
        "password_hash": password_hash,
        "require_rfid": require_rfid,
    }


def test_registry_odoo_implements_the_client_interface():
    client: OdooClient = RegistryOdoo([])
    assert callable(client.chargers) and callable(client.ingest)


async def test_a_refresh_replaces_the_registry_with_odoos_list(tmp_path):
    odoo = RegistryOdoo(
        [odoo_row("CP-1", password_hash=CHEAP_HASH), odoo_row("CP-2", "Pending")],
        [odoo_row("CP-2", require_rfid=False)],
    )
    async with State(tmp_path / "bridge.sqlite3") as state:
        refresh = ChargerRefresh(state, odoo)
        assert await refresh.refresh() == 2
        assert await state.run(chargers.entries) == [
            Charger("CP-1", "Accepted", CHEAP_HASH),
            Charger("CP-2", "Pending"),
        ]
        assert await refresh.refresh() == 1
        assert await state.run(chargers.entries) == [Charger("CP-2", require_rfid=False)]


@pytest.mark.parametrize(
    "answer",
    [
        [odoo_row("CP-9"), odoo_row("CP-1", "Unheard-of")],
        [odoo_row("CP-9"), odoo_row("CP-9")],
    ],
)
async def test_an_answer_that_cannot_be_read_leaves_the_registry_as_it_was(tmp_path, answer):
    async with State(tmp_path / "bridge.sqlite3") as state:
        await state.run(chargers.put, Charger("CP-1"))
        with pytest.raises(OdooError, match="chargers"):
            await ChargerRefresh(state, RegistryOdoo(answer)).refresh()
        assert await state.run(chargers.entries) == [Charger("CP-1")]


async def test_the_refresh_task_logs_failures_retries_and_refreshes_periodically(tmp_path, caplog):
    odoo = RegistryOdoo(
        ConnectionRefusedError("Odoo is down"),
        [odoo_row("CP-1")],
        [odoo_row("CP-1"), odoo_row("CP-2")],
    )
    async with State(tmp_path / "bridge.sqlite3") as state:
        refresh = ChargerRefresh(
            state, odoo, interval=0.05, backoff=Backoff(initial=0.01, jitter=0)
        )
        task = asyncio.create_task(refresh.run())
        try:
            await eventually(lambda: refresh.refreshed >= 2, what="two refreshes")
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert refresh.failures == 1
        assert len(await state.run(chargers.entries)) == 2
    assert "cannot refresh the charger registry from Odoo (ConnectionRefusedError" in caplog.text
    assert "retrying in 0.0 s" in caplog.text


async def test_a_bridge_with_odoo_pulls_the_registry_at_start_and_serves_by_it(settings, caplog):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    odoo = RegistryOdoo([odoo_row("CP-1", password_hash=CHEAP_HASH), odoo_row("CP-2", "Rejected")])
    changed = dataclasses.replace(settings, security_profile=1, unknown_chargers="reject")
    async with Bridge(changed, odoo_client=odoo) as bridge:
        await eventually(lambda: bridge.charger_refresh.refreshed, what="the first refresh")
        url = ws_url(bridge)
        async with SimulatedCharger(url, "CP-1", password="pw") as charger:
            assert (await charger.boot()).status == "Accepted"
        for cp_id, status in (("CP-2", 401), ("CP-3", 404)):  # no password; not listed
            with pytest.raises(InvalidStatus) as caught:
                await SimulatedCharger(url, cp_id, password="pw").connect()
            assert caught.value.response.status_code == status
    assert "charger registry: 2 chargers from Odoo" in caplog.text
