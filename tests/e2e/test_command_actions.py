"""Every OCPP 1.6 remote action, end to end: staff press the button or fill the
wizard in Odoo, the bridge (started by its CLI) delivers the CALL to a simulated
charger that answers and acts as a real one does, and Odoo shows the effect.

test_commands.py covers Reset, ClearCache, a timeout, the configuration, remote
start and stop, the offline queue and the site limit; this module the rest.
One bridge serves the module (each test has its own charger).
"""

import asyncio
import base64
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import booted, settled, until


@pytest.fixture(scope="module", autouse=True)
def reachable_odoo(odoo):
    """Chargers fetch firmware and upload diagnostics at web.base.url: this server."""
    odoo.call("ir.config_parameter", "set_param", "web.base.url", odoo.url)


def new_card(staff, label):
    tag = f"04{uuid.uuid4().hex[:12].upper()}"
    return staff.call("arthexis.rfid", "create", {"uid": tag, "label": label}), tag


def connectors(odoo, record):
    """The charger's connectors in Odoo, by number: id, status, status_at."""
    rows = odoo.call(
        "ocpp.connector",
        "search_read",
        [("charger_id", "=", record), ("connector_number", ">", 0)],
        fields=["connector_number", "status", "status_at"],
    )
    return {row["connector_number"]: row for row in rows}


async def statuses(odoo, record, expected, what):
    """Wait until Odoo shows these connector statuses ({number: status})."""

    def shown():
        now = {n: row["status"] for n, row in connectors(odoo, record).items()}
        return all(now.get(n) == status for n, status in expected.items())

    await until(shown, 15, what)


async def answered(odoo, command, what):
    return await until(lambda: settled(odoo, command), 15, what)


def read(odoo, model, record_id, fields):
    [row] = odoo.call(model, "read", [record_id], fields)
    return row


def timeline(odoo, record, kind):
    """The charger's firmware or diagnostics steps in Odoo, oldest first."""
    rows = odoo.call(
        "ocpp.transfer.status",
        "search_read",
        [("charger_id", "=", record), ("kind", "=", kind)],
        fields=["status"],
        order="id",
    )
    return [row["status"] for row in rows]


def odoo_time(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# Unlock, data transfer, refusals: one call, one answer, shown on the command.


@pytest.mark.parametrize(
    ("answer", "state", "status"),
    [(None, "accepted", "Unlocked"), ("UnlockFailed", "rejected", "UnlockFailed")],
)
async def test_unlock_from_the_connector_shows_the_chargers_answer(
    odoo, command_bridge, staff, answer, state, status
):
    charger, record = await booted(command_bridge, odoo)
    try:
        if answer:
            charger.answers = {"UnlockConnector": answer}
        staff.press("ocpp.connector", "action_unlock", connectors(odoo, record)[2]["id"])
        done = await answered(odoo, staff.last(record, "UnlockConnector"), "the unlock answer")
        assert (done["state"], done["response_status"]) == (state, status)
        assert charger.received_calls("UnlockConnector") == [{"connectorId": 2}]
    finally:
        await charger.close()


@pytest.mark.parametrize(
    ("vendor", "state", "response"),
    [
        ("Arthexis", "accepted", {"status": "Accepted", "data": "echo:ping"}),
        ("Acme", "rejected", {"status": "UnknownVendorId"}),
    ],
)
async def test_data_transfer_answer_is_recorded_on_the_command(
    odoo, command_bridge, staff, vendor, state, response
):
    charger, record = await booted(command_bridge, odoo)
    try:
        command = staff.send(
            record, "DataTransfer", vendor_id=vendor, message_id="Echo", data="ping"
        )
        done = await answered(odoo, command, "the DataTransfer answer")
        assert (done["state"], done["response"]) == (state, response)
    finally:
        await charger.close()


@pytest.mark.parametrize(
    ("action", "values", "refusal"),
    [
        ("Reset", {"reset_type": "Soft"}, "Rejected"),
        ("ChangeAvailability", {"availability": "Inoperative"}, "Rejected"),
        ("TriggerMessage", {"requested_message": "MeterValues"}, "NotImplemented"),
        ("GetCompositeSchedule", {"duration": 600}, "Rejected"),
        ("SendLocalList", {"full_list": True}, "NotSupported"),
    ],
)
async def test_a_refusal_makes_the_command_rejected_with_the_chargers_word(
    odoo, command_bridge, staff, action, values, refusal
):
    charger, record = await booted(command_bridge, odoo)
    try:
        charger.answers = {action: refusal}
        command = staff.send(record, action, **values)
        done = await answered(odoo, command, f"the {action} refusal")
        assert (done["state"], done["response_status"]) == ("rejected", refusal)
        assert len(charger.received_calls(action)) == 1
    finally:
        await charger.close()


# Availability: the charger reports its connectors' new status, and Odoo shows it.


@pytest.mark.parametrize("connector", [0, 2], ids=["whole charger", "one connector"])
async def test_change_availability_changes_the_connector_status_in_odoo(
    odoo, command_bridge, staff, connector
):
    charger, record = await booted(command_bridge, odoo)
    try:
        await statuses(odoo, record, {1: "Available", 2: "Available"}, "connectors available")
        chosen = connectors(odoo, record)[connector]["id"] if connector else False
        off = staff.send(
            record, "ChangeAvailability", availability="Inoperative", connector_id=chosen
        )
        done = await answered(odoo, off, "the ChangeAvailability answer")
        assert (done["state"], done["response_status"]) == ("accepted", "Accepted")
        assert charger.received_calls("ChangeAvailability") == [
            {"connectorId": connector, "type": "Inoperative"}
        ]
        expected = {1: "Unavailable" if connector == 0 else "Available", 2: "Unavailable"}
        await statuses(odoo, record, expected, "the connectors' new status in Odoo")
        on = staff.send(record, "ChangeAvailability", availability="Operative", connector_id=chosen)
        assert (await answered(odoo, on, "the second answer"))["state"] == "accepted"
        await statuses(odoo, record, {1: "Available", 2: "Available"}, "back in service")
    finally:
        await charger.close()


async def test_a_connector_in_a_session_is_disabled_when_the_session_ends(
    odoo, command_bridge, staff
):
    card, _tag = new_card(staff, "Scheduled availability")
    charger, record = await booted(command_bridge, odoo)
    charger.meter_interval = 0.2
    try:
        ids = {n: row["id"] for n, row in connectors(odoo, record).items()}
        start = staff.send(record, "RemoteStartTransaction", rfid_id=card, connector_id=ids[1])
        assert (await answered(odoo, start, "the remote start"))["state"] == "accepted"
        await statuses(odoo, record, {1: "Charging"}, "the session charging in Odoo")
        off = staff.send(
            record, "ChangeAvailability", availability="Inoperative", connector_id=ids[1]
        )
        done = await answered(odoo, off, "the ChangeAvailability answer")
        assert (done["state"], done["response_status"]) == ("accepted", "Scheduled")
        notes = odoo.call(
            "mail.message",
            "search_read",
            [("model", "=", "ocpp.charger"), ("res_id", "=", record)],
            fields=["preview"],
        )
        assert f"Connector 1 set Inoperative by {staff.login} (Scheduled)." in [
            note["preview"] for note in notes
        ]
        await asyncio.sleep(1)
        assert connectors(odoo, record)[1]["status"] == "Charging", "not before the session ends"
        [session] = odoo.call(
            "ocpp.transaction", "search", [("charger_id", "=", record), ("state", "=", "active")]
        )
        staff.press("ocpp.transaction", "action_remote_stop", session)
        await statuses(odoo, record, {1: "Unavailable", 2: "Available"}, "disabled after it")
    finally:
        await charger.close()


# TriggerMessage: the message asked for arrives in Odoo as a normal event.


def newest_status(odoo, record):
    return connectors(odoo, record)[1]["status_at"]


def meter_value_count(odoo, record):
    return odoo.call("ocpp.meter.value", "search_count", [("charger_id", "=", record)])


def last_boot(odoo, record):
    return read(odoo, "ocpp.charger", record, ["last_boot"])["last_boot"]


@pytest.mark.parametrize(
    ("message", "probe"),
    [
        ("StatusNotification", newest_status),
        ("MeterValues", meter_value_count),
        ("BootNotification", last_boot),
    ],
)
async def test_triggered_message_arrives_in_odoo(odoo, command_bridge, staff, message, probe):
    charger, record = await booted(command_bridge, odoo)
    try:
        await statuses(odoo, record, {1: "Available"}, "the boot's reports in Odoo")
        before = probe(odoo, record)
        await asyncio.sleep(1.1)  # Odoo keeps times to the second: a later report shows
        connector = connectors(odoo, record)[1]["id"]
        command = staff.send(
            record, "TriggerMessage", requested_message=message, connector_id=connector
        )
        assert (await answered(odoo, command, "the trigger answer"))["state"] == "accepted"
        await until(lambda: probe(odoo, record) > before, 15, f"the triggered {message} in Odoo")
    finally:
        await charger.close()


# The local authorization list.


async def test_local_list_full_then_differential_then_reconciled(odoo, command_bridge, staff):
    _kept, kept_tag = new_card(staff, "Local list: kept")
    blocked, blocked_tag = new_card(staff, "Local list: blocked")
    charger, record = await booted(command_bridge, odoo)
    try:

        def allowed_cards():
            cards = odoo.call("arthexis.rfid", "search_read", [], fields=["uid"])
            return {card["uid"] for card in cards}

        def version():
            return read(odoo, "ocpp.charger", record, ["local_list_version"])["local_list_version"]

        # First send: the charger's version is unknown, so the whole list goes.
        staff.press("ocpp.charger", "action_send_local_list", record)
        full = staff.last(record, "SendLocalList")
        assert (await answered(odoo, full, "the full list answer"))["state"] == "accepted"
        assert set(charger.local_list) == allowed_cards()
        assert charger.local_list[kept_tag]["status"] == "Accepted"
        assert version() == charger.local_list_version > 0

        # A card is blocked and one is added: the scheduled action sends just those.
        staff.call("arthexis.rfid", "write", [blocked], {"allowed": False})
        _added, added_tag = new_card(staff, "Local list: added")
        odoo.call("ocpp.charger", "write", [record], {"local_list_sync": True})
        [cron] = odoo.call(
            "ir.model.data",
            "search_read",
            [("module", "=", "arthexis_ocpp"), ("name", "=", "ir_cron_sync_local_lists")],
            fields=["res_id"],
        )
        odoo.call("ir.cron", "method_direct_trigger", [cron["res_id"]])
        delta = staff.last(record, "SendLocalList")
        assert delta != full
        assert (await answered(odoo, delta, "the differential answer"))["state"] == "accepted"
        [sent] = odoo.call("ocpp.command", "read", [delta], ["payload"])
        assert sent["payload"]["updateType"] == "Differential"
        assert {e["idTag"] for e in sent["payload"]["localAuthorizationList"]} == {
            blocked_tag,
            added_tag,
        }
        assert set(charger.local_list) == allowed_cards()
        assert charger.local_list[blocked_tag]["status"] == "Blocked"
        assert charger.local_list[added_tag]["status"] == "Accepted"
        assert version() == charger.local_list_version == sent["payload"]["listVersion"]

        # The charger lost its list: asked, it reports 0, and Odoo sends the full list again.
        charger.local_list, charger.local_list_version = {}, 0
        asked = staff.send(record, "GetLocalListVersion")
        assert (await answered(odoo, asked, "the list version"))["response"] == {"listVersion": 0}
        assert version() == 0
        staff.press("ocpp.charger", "action_send_local_list", record)
        again = staff.last(record, "SendLocalList")
        assert (await answered(odoo, again, "the new full list"))["state"] == "accepted"
        [sent] = odoo.call("ocpp.command", "read", [again], ["payload"])
        assert sent["payload"]["updateType"] == "Full"
        assert set(charger.local_list) == allowed_cards()
    finally:
        await charger.close()


# Reservations.


async def test_reservation_is_confirmed_used_by_its_card_or_cancelled(odoo, command_bridge, staff):
    card, tag = new_card(staff, "Reservation holder")
    other, _other_tag = new_card(staff, "Reservation cancelled")
    charger, record = await booted(command_bridge, odoo)
    try:
        await statuses(odoo, record, {1: "Available", 2: "Available"}, "connectors available")
        ids = {n: row["id"] for n, row in connectors(odoo, record).items()}

        def reservation(reservation_id):
            return read(
                odoo,
                "ocpp.reservation",
                reservation_id,
                ["state", "connector_id", "charger_status", "transaction_id", "reservation_number"],
            )

        # No connector named: the first available one is reserved, and shows Reserved.
        held = staff.call("ocpp.reservation", "create", {"charger_id": record, "rfid_id": card})
        await answered(odoo, staff.last(record, "ReserveNow"), "the ReserveNow answer")
        row = reservation(held)
        assert (row["state"], row["charger_status"]) == ("confirmed", "Accepted")
        assert row["connector_id"][0] == ids[1]
        assert charger.reservations[row["reservation_number"]]["connector_id"] == 1
        await statuses(odoo, record, {1: "Reserved"}, "the reserved connector in Odoo")

        # The next one gets the other connector; staff cancel it.
        second = staff.call("ocpp.reservation", "create", {"charger_id": record, "rfid_id": other})
        await answered(odoo, staff.last(record, "ReserveNow"), "the second ReserveNow answer")
        assert reservation(second)["connector_id"][0] == ids[2]
        staff.press("ocpp.reservation", "action_cancel", second)
        cancel = staff.last(record, "CancelReservation")
        assert (await answered(odoo, cancel, "the cancel answer"))["state"] == "accepted"
        assert reservation(second)["state"] == "cancelled"
        assert list(charger.reservations) == [row["reservation_number"]]
        await statuses(odoo, record, {2: "Available"}, "the freed connector in Odoo")

        # The holder's card starts on the reserved connector: the reservation is used.
        started = await charger.start_transaction(1, tag, 0)
        assert started.id_tag_info["status"] == "Accepted"
        used = await until(
            lambda: (r := reservation(held))["state"] == "used" and r, 15, "the reservation used"
        )
        [session] = odoo.call(
            "ocpp.transaction",
            "search_read",
            [("charger_id", "=", record), ("transaction_id", "=", str(started.transaction_id))],
            fields=["reservation_number"],
        )
        assert used["transaction_id"][0] == session["id"]
        assert session["reservation_number"] == row["reservation_number"], "the charger named it"
    finally:
        await charger.close()


async def test_reserving_a_connector_in_use_is_refused_occupied(odoo, command_bridge, staff):
    _driver, driver_tag = new_card(staff, "Charging now")
    card, _tag = new_card(staff, "Too late")
    charger, record = await booted(command_bridge, odoo)
    try:
        await charger.start_transaction(1, driver_tag, 0)
        await charger.status(1, "Charging")
        await statuses(odoo, record, {1: "Charging"}, "the session in Odoo")
        connector = connectors(odoo, record)[1]["id"]
        held = staff.call(
            "ocpp.reservation",
            "create",
            {"charger_id": record, "rfid_id": card, "connector_id": connector},
        )
        done = await answered(odoo, staff.last(record, "ReserveNow"), "the ReserveNow answer")
        assert (done["state"], done["response_status"]) == ("rejected", "Occupied")
        row = read(odoo, "ocpp.reservation", held, ["state", "charger_status"])
        assert (row["state"], row["charger_status"]) == ("rejected", "Occupied")
        assert not charger.reservations
    finally:
        await charger.close()


# Firmware and diagnostics: real HTTP transfers on one-time URLs.


def new_firmware(staff, content):
    return staff.call(
        "ocpp.firmware",
        "create",
        {
            "name": f"Sim firmware {uuid.uuid4().hex[:6]}",
            "version": "sim-0.2",
            "file": base64.b64encode(content).decode(),
            "filename": "sim-0.2.bin",
        },
    )


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def location(odoo, command):
    return read(odoo, "ocpp.command", command, ["payload"])["payload"]["location"]


async def test_firmware_update_downloads_the_file_once_and_reports_each_step(
    odoo, command_bridge, staff
):
    content = uuid.uuid4().bytes * 1000
    firmware = new_firmware(staff, content)
    charger, record = await booted(command_bridge, odoo)
    try:
        command = staff.send(record, "UpdateFirmware", firmware_id=firmware, retries=1)
        assert (await answered(odoo, command, "the UpdateFirmware answer"))["state"] == "accepted"
        steps = ["Downloading", "Downloaded", "Installing", "Installed"]

        def reported():
            shown = [s for s in timeline(odoo, record, "firmware") if s != "Requested"]
            return shown == steps

        await until(reported, 15, "the firmware steps in Odoo")
        assert charger.firmware_downloaded == content
        assert "Requested" in timeline(odoo, record, "firmware")
        assert read(odoo, "ocpp.charger", record, ["firmware_status"])["firmware_status"] == (
            "Installed"
        )
        assert read(odoo, "ocpp.command", command, ["token_used_at"])["token_used_at"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            fetch(location(odoo, command))
        assert refused.value.code == 403
    finally:
        await charger.close()


async def test_a_firmware_link_used_by_someone_else_fails_the_download(odoo, command_bridge, staff):
    firmware = new_firmware(staff, b"not for you")
    charger, record = await booted(command_bridge, odoo)
    try:
        later = odoo_time(datetime.now(UTC) + timedelta(seconds=3))
        command = staff.send(
            record, "UpdateFirmware", firmware_id=firmware, retrieve_date=later, retries=1
        )
        await answered(odoo, command, "the UpdateFirmware answer")
        assert fetch(location(odoo, command)) == b"not for you"  # before the charger's turn

        def reported():
            return [s for s in timeline(odoo, record, "firmware") if s != "Requested"]

        await until(lambda: reported() == ["Downloading", "DownloadFailed"], 15, "DownloadFailed")
        assert charger.firmware_downloaded is None
    finally:
        await charger.close()


async def test_diagnostics_are_uploaded_to_odoo_and_kept_on_the_charger(
    odoo, command_bridge, staff
):
    charger, record = await booted(command_bridge, odoo)
    try:
        command = staff.send(record, "GetDiagnostics", retries=1)
        done = await answered(odoo, command, "the GetDiagnostics answer")
        assert done["response"] == {"fileName": f"{charger.id}-diagnostics.log"}

        def uploaded():
            return read(odoo, "ocpp.command", command, ["attachment_id"])["attachment_id"]

        attachment = await until(uploaded, 15, "the diagnostics file in Odoo")
        kept = read(odoo, "ir.attachment", attachment[0], ["datas", "res_model", "res_id"])
        assert base64.b64decode(kept["datas"]) == charger.diagnostics_uploaded
        assert (kept["res_model"], kept["res_id"]) == ("ocpp.charger", record)

        def reported():
            steps = timeline(odoo, record, "diagnostics")
            return [s for s in steps if s.startswith("Upload")] == ["Uploading", "Uploaded"]

        await until(reported, 15, "the diagnostics steps in Odoo")
        assert {"Requested", "Received"} <= set(timeline(odoo, record, "diagnostics"))
    finally:
        await charger.close()


# Smart charging.


async def test_charging_profile_set_scheduled_and_cleared(odoo, command_bridge, staff):
    profile = staff.call(
        "ocpp.charging.profile",
        "create",
        {
            "name": f"Default 16 A then 10 A {uuid.uuid4().hex[:4]}",
            "purpose": "TxDefaultProfile",
            "kind": "Relative",
            "unit": "A",
            "period_ids": [
                (0, 0, {"start_period": 0, "limit": 16}),
                (0, 0, {"start_period": 3600, "limit": 10}),
            ],
        },
    )
    charger, record = await booted(command_bridge, odoo)
    try:
        put = staff.send(record, "SetChargingProfile", profile_id=profile)
        assert (await answered(odoo, put, "the SetChargingProfile answer"))["state"] == "accepted"
        kept = charger.profiles[0]
        assert (kept["charging_profile_id"], kept["charging_profile_purpose"]) == (
            profile,
            "TxDefaultProfile",
        )
        assert kept["charging_schedule"]["charging_schedule_period"] == [
            {"start_period": 0, "limit": 16},
            {"start_period": 3600, "limit": 10},
        ]

        connector = connectors(odoo, record)[1]["id"]
        asked = staff.send(record, "GetCompositeSchedule", connector_id=connector, duration=600)
        done = await answered(odoo, asked, "the composite schedule")
        assert done["state"] == "accepted"
        schedule = done["response"]["chargingSchedule"]
        assert (schedule["duration"], schedule["chargingRateUnit"]) == (600, "A")
        assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 16}]

        clear = staff.send(record, "ClearChargingProfile", profile_id=profile)
        done = await answered(odoo, clear, "the ClearChargingProfile answer")
        assert (done["state"], done["response_status"]) == ("accepted", "Accepted")
        assert not charger.profiles
        again = staff.send(record, "ClearChargingProfile", profile_id=profile)
        done = await answered(odoo, again, "the second ClearChargingProfile answer")
        assert (done["state"], done["response_status"]) == ("rejected", "Unknown")
    finally:
        await charger.close()
