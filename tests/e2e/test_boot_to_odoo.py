"""A charger boots through the edge bridge into Odoo, and survives an Odoo outage."""

import asyncio
import uuid

from arthexis_bridge.simulator import SimulatedCharger
from tests.harness.wait import wait_for

CHARGER_FIELDS = ["vendor", "model", "serial_number", "firmware_version", "node_id", "status"]


def charger_in_odoo(odoo, cp_id):
    found = odoo.call(
        "ocpp.charger", "search_read", [("charge_point_id", "=", cp_id)], fields=CHARGER_FIELDS
    )
    return found[0] if found else None


def connector_statuses(odoo, cp_id):
    rows = odoo.call(
        "ocpp.connector",
        "search_read",
        [("charger_id.charge_point_id", "=", cp_id)],
        fields=["connector_number", "status", "error_code"],
    )
    return {row["connector_number"]: (row["status"], row["error_code"]) for row in rows}


def ledger(odoo, cp_id):
    return odoo.call(
        "ocpp.event", "search_read", [("charge_point_id", "=", cp_id)], fields=["uid", "state"]
    )


async def test_vendor_data_and_connector_statuses_arrive_in_odoo(odoo, bridge, bridge_login):
    node_id = bridge_login[0]
    cp_id = f"E2E-{uuid.uuid4().hex[:6]}"
    async with SimulatedCharger(
        bridge.url, cp_id, connectors=2, vendor="Arthexis", model="E2E-AC", serial="SN-E2E"
    ) as charger:
        answer = await charger.boot()
        assert answer.status == "Accepted"
        await charger.status(1, "Available")
        await charger.status(2, "Faulted", error_code="GroundFailure")

    def arrived():
        statuses = connector_statuses(odoo, cp_id)
        return len(statuses) == 2 and charger_in_odoo(odoo, cp_id)

    row = wait_for(arrived, 30, "the charger and both connectors in Odoo")
    assert (row["vendor"], row["model"], row["serial_number"]) == ("Arthexis", "E2E-AC", "SN-E2E")
    assert row["node_id"][0] == node_id, "the charger is served by the bridge's node"
    assert row["status"] == "Faulted"
    assert connector_statuses(odoo, cp_id) == {
        1: ("Available", "NoError"),
        2: ("Faulted", "GroundFailure"),
    }


async def test_text_xml_cannot_carry_arrives_readable_and_blocks_nothing(odoo, bridge):
    """JSON lets a charger put a NUL, a control character or a lone surrogate in a
    string (padded serial numbers do); XML-RPC cannot carry them. Each becomes U+FFFD
    and the charger's events go on arriving."""
    cp_id = f"E2E-{uuid.uuid4().hex[:6]}"
    async with SimulatedCharger(
        bridge.url, cp_id, vendor="ABB\x00\x00", model="Terra\x07AC", serial="SN\ud800-1"
    ) as charger:
        await charger.boot()
        await charger.status(1, "Available")

    def arrived():
        row = charger_in_odoo(odoo, cp_id)
        return row if row and connector_statuses(odoo, cp_id) else None

    row = wait_for(arrived, 30, "the charger and its connector in Odoo")
    assert (row["vendor"], row["model"], row["serial_number"]) == (
        "ABB\ufffd\ufffd",
        "Terra\ufffdAC",
        "SN\ufffd-1",
    )
    assert {event["state"] for event in ledger(odoo, cp_id)} == {"done"}


async def test_events_sent_while_odoo_is_down_arrive_once_it_is_back(odoo, bridge):
    cp_id = f"E2E-{uuid.uuid4().hex[:6]}"
    async with SimulatedCharger(bridge.url, cp_id, connectors=2) as charger:
        await charger.boot()
        await charger.status(1, "Available")
        # Blocking waits run in a thread so the charger's socket keeps answering pings.
        await asyncio.to_thread(
            wait_for, lambda: connector_statuses(odoo, cp_id), 30, "the first status in Odoo"
        )
        await asyncio.to_thread(odoo.stop)
        # Charging goes on: the bridge answers every call while Odoo is away.
        assert (await charger.heartbeat()).current_time
        await charger.status(1, "Charging")
        await charger.status(2, "Available")
        await charger.heartbeat()
        await asyncio.to_thread(odoo.start)

    def drained():
        return connector_statuses(odoo, cp_id) == {
            1: ("Charging", "NoError"),
            2: ("Available", "NoError"),
        }

    wait_for(drained, 120, "the events held by the bridge to reach Odoo")
    events = ledger(odoo, cp_id)
    # boot, 3 statuses, 2 heartbeats: each recorded exactly once, each applied.
    assert len(events) == 6
    assert len({event["uid"] for event in events}) == 6
    assert {event["state"] for event in events} == {"done"}


async def test_raw_frames_reach_the_message_log_in_odoo(odoo, bridge):
    cp_id = f"E2E-{uuid.uuid4().hex[:6]}"
    async with SimulatedCharger(bridge.url, cp_id, connectors=1) as charger:
        await charger.boot()
        await charger.heartbeat()

    def logged():
        rows = odoo.call(
            "ocpp.message.log",
            "search_read",
            [("charge_point_id", "=", cp_id)],
            fields=["direction", "action"],
            order="at, id",
        )
        return rows if len(rows) >= 4 else None

    rows = await asyncio.to_thread(wait_for, logged, 30, "the frames in Odoo's message log")
    seen = {(row["direction"], row["action"]) for row in rows}
    assert {("in", "BootNotification"), ("in", "Heartbeat"), ("out", "(result)")} <= seen
