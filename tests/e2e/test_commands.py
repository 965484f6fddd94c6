"""Staff act on a charger from Odoo; the bridge delivers the command and Odoo shows
the charger's answer: real Odoo, the bridge started by its CLI, a simulated charger.

One bridge serves the module's command tests (each test has its own charger);
the site limit test starts its own, since a bridge reads the limit at start.
"""

import asyncio
import uuid

from arthexis_bridge.simulator import NO_ANSWER, SimulatedCharger
from tests.e2e.conftest import LOGS, TIMEOUT, booted, settled, until
from tests.harness.site import BridgeProcess


async def test_reset_accepted_and_unlock_rejected_show_in_odoo(odoo, command_bridge, staff):
    charger, record = await booted(command_bridge, odoo)
    try:
        charger.answers = {"ClearCache": "Rejected"}
        reset = staff.send(record, "Reset", reset_type="Hard")
        clear = staff.send(record, "ClearCache")
        done = await until(lambda: settled(odoo, reset), 15, "the Reset answer in Odoo")
        assert done["state"] == "accepted"
        assert done["response_status"] == "Accepted"
        assert charger.received_calls("Reset") == [{"type": "Hard"}]
        done = await until(lambda: settled(odoo, clear), 15, "the ClearCache answer in Odoo")
        assert done["state"] == "rejected"
        assert done["response_status"] == "Rejected"
    finally:
        await charger.close()


async def test_a_charger_that_never_answers_times_out(odoo, command_bridge, staff):
    charger, record = await booted(command_bridge, odoo)
    try:
        charger.answers = {"TriggerMessage": NO_ANSWER}
        trigger = staff.send(record, "TriggerMessage", requested_message="Heartbeat")
        done = await until(lambda: settled(odoo, trigger), 15 + TIMEOUT, "the timeout in Odoo")
        assert done["state"] == "timed_out"
        assert done["sent_at"]  # it did go out
        assert charger.received_calls("TriggerMessage") == [{"requestedMessage": "Heartbeat"}]
    finally:
        await charger.close()


async def test_get_configuration_fills_the_keys_and_a_change_is_kept(odoo, command_bridge, staff):
    charger, record = await booted(command_bridge, odoo)
    try:
        staff.press("ocpp.charger", "action_get_configuration", record)
        [read] = staff.call("ocpp.command", "search", [("charger_id", "=", record)])
        await until(lambda: settled(odoo, read), 15, "GetConfiguration answered")
        keys = {
            k["key"]: k
            for k in odoo.call(
                "ocpp.charger.config.key",
                "search_read",
                [("charger_id", "=", record)],
                fields=["key", "value", "readonly", "last_read"],
            )
        }
        assert set(keys) == set(charger.configuration)
        assert keys["NumberOfConnectors"]["value"] == "2"
        assert keys["NumberOfConnectors"]["readonly"] is True
        assert keys["HeartbeatInterval"]["last_read"]
        # Staff type a new value and send it: the charger takes it, Odoo keeps it.
        odoo.call(
            "ocpp.charger.config.key",
            "write",
            [keys["HeartbeatInterval"]["id"]],
            {"new_value": "120"},
        )
        staff.press("ocpp.charger", "action_send_configuration", record)
        change = staff.call(
            "ocpp.command",
            "search",
            [("charger_id", "=", record), ("action", "=", "ChangeConfiguration")],
        )[0]
        done = await until(lambda: settled(odoo, change), 15, "ChangeConfiguration answered")
        assert done["state"] == "accepted"
        assert charger.configuration["HeartbeatInterval"] == ("120", False)
        [key] = odoo.call(
            "ocpp.charger.config.key",
            "read",
            [keys["HeartbeatInterval"]["id"]],
            ["value", "last_change_status"],
        )
        assert (key["value"], key["last_change_status"]) == ("120", "Accepted")
    finally:
        await charger.close()


async def test_remote_start_and_stop_make_a_real_session(odoo, command_bridge, staff):
    tag = f"04{uuid.uuid4().hex[:12].upper()}"
    card = odoo.call("arthexis.rfid", "create", {"uid": tag, "label": "Remote start card"})
    charger, record = await booted(command_bridge, odoo)
    charger.meter_interval = 0.2
    try:
        [connector] = odoo.call(
            "ocpp.connector",
            "search",
            [("charger_id", "=", record), ("connector_number", "=", 2)],
        )
        start = staff.send(record, "RemoteStartTransaction", rfid_id=card, connector_id=connector)
        done = await until(lambda: settled(odoo, start), 15, "the RemoteStart answer")
        assert done["state"] == "accepted"

        def active_session():
            rows = odoo.call(
                "ocpp.transaction",
                "search_read",
                [("charger_id", "=", record), ("state", "=", "active")],
                fields=["id", "id_tag", "connector_id"],
            )
            return rows[0] if rows else None

        session = await until(active_session, 30, "the session in Odoo")
        assert session["id_tag"] == tag
        assert session["connector_id"][0] == connector
        # Stop remotely, from the session.
        staff.press("ocpp.transaction", "action_remote_stop", session["id"])
        [stop] = staff.call(
            "ocpp.command",
            "search",
            [("charger_id", "=", record), ("action", "=", "RemoteStopTransaction")],
        )
        done = await until(lambda: settled(odoo, stop), 15, "the RemoteStop answer")
        assert done["state"] == "accepted"

        def ended():
            [row] = odoo.call("ocpp.transaction", "read", [session["id"]], ["state", "stop_reason"])
            return row if row["state"] != "active" else None

        row = await until(ended, 30, "the session ended in Odoo")
        assert row["stop_reason"] == "Remote"
    finally:
        await charger.close()


async def test_a_command_queued_while_the_charger_is_away_goes_out_on_reconnect(
    odoo, command_bridge, staff
):
    charger, record = await booted(command_bridge, odoo)
    await charger.close()
    unlock = staff.send(record, "ClearCache")
    await asyncio.sleep(1)
    [row] = odoo.call("ocpp.command", "read", [unlock], ["state"])
    assert row["state"] == "queued"  # nobody to send it to
    await charger.connect()
    try:
        await charger.boot()
        done = await until(lambda: settled(odoo, unlock), 15, "the queued command answered")
        assert done["state"] == "accepted"
        assert charger.received_calls("ClearCache") == [{}]
    finally:
        await charger.close()


async def test_the_site_limit_set_in_odoo_is_shared_among_ten_sessions(odoo, tmp_path):
    node_id, login, key = odoo.bridge_login()
    odoo.call("arthexis.node", "write", [node_id], {"site_limit": 32, "site_limit_unit": "A"})
    tags = [f"04{uuid.uuid4().hex[:12].upper()}" for _ in range(10)]
    for tag in tags:
        odoo.call("arthexis.rfid", "create", {"uid": tag, "label": "Site limit card"})
    bridge = BridgeProcess(
        tmp_path / "bridge-data", LOGS / "e2e-power-bridge.log", odoo.bridge_env(login, key)
    )
    bridge.start()
    chargers = [SimulatedCharger(bridge.url, f"SITE-{uuid.uuid4().hex[:6]}") for _ in tags]
    sums = []

    async def watch():
        while True:
            sums.append(sum(limit for c in chargers for limit, _unit in c.limits.values()))
            await asyncio.sleep(0.005)

    try:
        for charger in chargers:
            await charger.connect()
            await charger.boot()
        watcher = asyncio.create_task(watch())
        starts = await asyncio.gather(
            *(c.start_transaction(1, tag, 0) for c, tag in zip(chargers, tags, strict=True))
        )
        assert all(s.id_tag_info["status"] == "Accepted" for s in starts)

        def shared():
            return all(c.limits.get(1) == (3.2, "A") for c in chargers)

        await until(shared, 15, "each of the 10 sessions limited to 3.2 A")
        watcher.cancel()
    finally:
        for charger in chargers:
            await charger.close()
        bridge.stop()
    assert max(sums) <= 32 + 1e-9
