"""One card, two nodes: while it charges at a charger of one bridge, a charger of
another bridge is told ConcurrentTx, by Odoo, which sees the sessions of every node."""

import uuid

import pytest

from arthexis_bridge.simulator import SimulatedCharger
from tests.e2e.conftest import LOGS, until
from tests.harness.site import BridgeProcess


@pytest.fixture
def two_bridges(odoo, tmp_path):
    """Two bridges, each the edge of a node of its own."""
    processes = []
    try:
        for name in ("a", "b"):
            _node_id, login, key = odoo.bridge_login(f"concurrent {name} {uuid.uuid4().hex[:6]}")
            settings = odoo.bridge_env(login, key)
            # Odoo's answer, not the fallback on a slow first call, is under test.
            settings["ARTHEXIS_BRIDGE_AUTHORIZE_TIMEOUT"] = "10"
            process = BridgeProcess(
                tmp_path / f"bridge-{name}", LOGS / f"e2e-concurrent-{name}.log", settings
            )
            process.start()
            processes.append(process)
        yield processes
    finally:
        for process in processes:
            process.stop()


def sessions(odoo, cp_id):
    """The states of the charger's sessions in Odoo, oldest first."""
    rows = odoo.call(
        "ocpp.transaction",
        "search_read",
        [("charger_id.charge_point_id", "=", cp_id)],
        fields=["state"],
        order="id",
    )
    return [row["state"] for row in rows]


async def test_a_card_charging_on_one_node_is_refused_on_another(odoo, two_bridges):
    first, second = two_bridges
    tag = f"04{uuid.uuid4().hex[:12].upper()}"
    odoo.call("arthexis.rfid", "create", {"uid": tag, "label": "Card of two nodes"})
    here, there = f"CC-A-{uuid.uuid4().hex[:6]}", f"CC-B-{uuid.uuid4().hex[:6]}"
    async with (
        SimulatedCharger(first.url, here) as one,
        SimulatedCharger(second.url, there) as other,
    ):
        await one.boot()
        await other.boot()
        started = await one.start_transaction(1, tag, 0)
        assert started.id_tag_info["status"] == "Accepted"
        await until(lambda: sessions(odoo, here) == ["active"], 30, "the session in Odoo")

        assert (await other.authorize(tag)).id_tag_info["status"] == "ConcurrentTx"
        refused = await other.start_transaction(1, tag, 0)
        assert refused.id_tag_info["status"] == "ConcurrentTx"
        # As a 1.6 charger does with StopTransactionOnInvalidId: it ends the refused one.
        await other.stop_transaction(refused.transaction_id, 0, "DeAuthorized")

        await one.stop_transaction(started.transaction_id, 1000)
        await until(lambda: sessions(odoo, here) == ["completed"], 30, "the session ended")
        await until(
            lambda: len(sessions(odoo, there)) == 1 and "active" not in sessions(odoo, there),
            30,
            "the refused start ended in Odoo",
        )
        accepted = await other.start_transaction(1, tag, 0)
        assert accepted.id_tag_info["status"] == "Accepted"
