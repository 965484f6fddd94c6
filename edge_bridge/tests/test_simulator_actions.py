"""The simulator acts on the central system's calls as a real charger does: it
reports its connectors' new status, downloads firmware and uploads diagnostics
over HTTP with their status notifications.

The central system here is a few lines on the ``ocpp`` package, so each test
sees exactly the calls the simulator makes; the files are served by a
throwaway HTTP server.
"""

import asyncio
import contextlib
import email.parser
import email.policy
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from arthexis_bridge.events import utc_timestamp
from arthexis_bridge.simulator import SUBPROTOCOL, SimulatedCharger

from .helpers import eventually

FIRMWARE = b"\x7fELF simulated firmware" * 100


class CentralSystem(ChargePoint):
    """Answers what a charger sends and keeps it: (action, payload) in ``reported``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reported = []

    @on("BootNotification")
    def on_boot(self, **payload):
        self.reported.append(("BootNotification", payload))
        return call_result.BootNotification(
            current_time=utc_timestamp(), interval=300, status="Accepted"
        )

    @on("StatusNotification")
    def on_status(self, connector_id, status, **payload):
        self.reported.append(("StatusNotification", (connector_id, status)))
        return call_result.StatusNotification()

    @on("StartTransaction")
    def on_start(self, connector_id, id_tag, **payload):
        self.reported.append(("StartTransaction", payload.get("reservation_id")))
        return call_result.StartTransaction(transaction_id=1, id_tag_info={"status": "Accepted"})

    @on("StopTransaction")
    def on_stop(self, **payload):
        self.reported.append(("StopTransaction", payload["transaction_id"]))
        return call_result.StopTransaction()

    @on("FirmwareStatusNotification")
    def on_firmware_status(self, status):
        self.reported.append(("FirmwareStatusNotification", status))
        return call_result.FirmwareStatusNotification()

    @on("DiagnosticsStatusNotification")
    def on_diagnostics_status(self, status):
        self.reported.append(("DiagnosticsStatusNotification", status))
        return call_result.DiagnosticsStatusNotification()

    def sent(self, action):
        return [payload for name, payload in self.reported if name == action]


@pytest.fixture
async def central():
    """(the central system a charger connected to, that simulated charger)."""
    connected = asyncio.Queue()

    async def handler(connection):
        central = CentralSystem("SIM-1", connection)
        await connected.put(central)
        with contextlib.suppress(ConnectionClosed):
            await central.start()

    async with serve(handler, "127.0.0.1", 0, subprotocols=[SUBPROTOCOL]) as server:
        port = server.sockets[0].getsockname()[1]
        async with SimulatedCharger(f"ws://127.0.0.1:{port}/ocpp", "SIM-1") as charger:
            yield await connected.get(), charger


class FileServer(BaseHTTPRequestHandler):
    """GET /firmware.bin: the firmware; POST /upload: a multipart file, kept in ``uploads``."""

    uploads = []

    def do_GET(self):
        if self.path != "/firmware.bin":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(FIRMWARE)))
        self.end_headers()
        self.wfile.write(FIRMWARE)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            self.uploads.append((name, part.get_filename(), part.get_payload(decode=True)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def files():
    FileServer.uploads = []
    server = HTTPServer(("127.0.0.1", 0), FileServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def test_update_firmware_downloads_the_file_and_reports_each_step(central, files):
    cs, charger = central
    now = utc_timestamp(datetime.now(UTC))
    await cs.call(call.UpdateFirmware(location=f"{files}/firmware.bin", retrieve_date=now))
    await eventually(lambda: "Installed" in cs.sent("FirmwareStatusNotification"))
    assert cs.sent("FirmwareStatusNotification") == [
        "Downloading",
        "Downloaded",
        "Installing",
        "Installed",
    ]
    assert charger.firmware_downloaded == FIRMWARE


async def test_a_firmware_download_that_fails_is_retried_then_reported(central, files):
    cs, charger = central
    await cs.call(
        call.UpdateFirmware(
            location=f"{files}/gone.bin",
            retrieve_date=utc_timestamp(),
            retries=2,
            retry_interval=0,
        )
    )
    await eventually(lambda: len(cs.sent("FirmwareStatusNotification")) == 4)
    await asyncio.sleep(0.1)  # and nothing more
    assert cs.sent("FirmwareStatusNotification") == ["Downloading", "DownloadFailed"] * 2
    assert charger.firmware_downloaded is None


async def test_get_diagnostics_uploads_a_multipart_file_then_reports_uploaded(central, files):
    cs, charger = central
    answer = await cs.call(call.GetDiagnostics(location=f"{files}/upload"))
    assert answer.file_name == "SIM-1-diagnostics.log"
    await eventually(lambda: "Uploaded" in cs.sent("DiagnosticsStatusNotification"))
    assert cs.sent("DiagnosticsStatusNotification") == ["Uploading", "Uploaded"]
    [(field, filename, content)] = FileServer.uploads
    assert (field, filename) == ("file", "SIM-1-diagnostics.log")
    assert content == charger.diagnostics_uploaded
    assert content.startswith(b"SIM-1 Arthexis Simulator firmware sim-0.1\n")
    assert b"GetDiagnostics" in content


async def test_change_availability_reports_the_new_status_or_waits_for_the_session(central):
    cs, charger = central
    answer = await cs.call(call.ChangeAvailability(connector_id=0, type="Inoperative"))
    assert answer.status == "Accepted"
    await eventually(lambda: len(cs.sent("StatusNotification")) == 2)
    assert cs.sent("StatusNotification") == [(1, "Unavailable"), (2, "Unavailable")]

    await cs.call(call.ChangeAvailability(connector_id=0, type="Operative"))
    await eventually(
        lambda: cs.sent("StatusNotification")[2:] == [(1, "Available"), (2, "Available")]
    )
    await charger.start_transaction(1, "DRIVER", 0)
    cs.reported.clear()
    answer = await cs.call(call.ChangeAvailability(connector_id=0, type="Inoperative"))
    assert answer.status == "Scheduled"
    await eventually(lambda: cs.sent("StatusNotification") == [(2, "Unavailable")])
    assert charger.idle_status(1) == "Available", "not while its session runs"
    await charger.stop_transaction(1, 10)
    assert charger.idle_status(1) == "Unavailable"


async def test_a_reservation_makes_the_connector_reserved_and_its_card_uses_it(central):
    cs, charger = central
    expiry = utc_timestamp()
    busy = await cs.call(
        call.ReserveNow(connector_id=1, expiry_date=expiry, id_tag="HOLDER", reservation_id=7)
    )
    assert busy.status == "Accepted"
    await eventually(lambda: cs.sent("StatusNotification") == [(1, "Reserved")])
    await charger.start_transaction(1, "HOLDER", 0)
    assert cs.sent("StartTransaction") == [7], "the charger names the reservation it uses"
    assert not charger.reservations
    occupied = await cs.call(
        call.ReserveNow(connector_id=1, expiry_date=expiry, id_tag="OTHER", reservation_id=8)
    )
    assert occupied.status == "Occupied"
    await cs.call(call.ReserveNow(connector_id=2, expiry_date=expiry, id_tag="X", reservation_id=9))
    await eventually(lambda: (2, "Reserved") in cs.sent("StatusNotification"))
    cs.reported.clear()
    assert (await cs.call(call.CancelReservation(reservation_id=9))).status == "Accepted"
    await eventually(lambda: cs.sent("StatusNotification") == [(2, "Available")])
    assert (await cs.call(call.CancelReservation(reservation_id=9))).status == "Rejected"


async def test_data_transfer_local_list_and_profiles_answer_as_the_spec_says(central):
    cs, charger = central
    own = await cs.call(call.DataTransfer(vendor_id="Arthexis", message_id="Echo", data="hi"))
    assert (own.status, own.data) == ("Accepted", "echo:hi")
    other = await cs.call(call.DataTransfer(vendor_id="Acme", data="hi"))
    assert (other.status, other.data) == ("UnknownVendorId", None)

    entry = {"idTag": "CARD", "idTagInfo": {"status": "Accepted"}}
    full = await cs.call(
        call.SendLocalList(list_version=5, update_type="Full", local_authorization_list=[entry])
    )
    stale = await cs.call(call.SendLocalList(list_version=5, update_type="Differential"))
    assert (full.status, stale.status) == ("Accepted", "VersionMismatch")
    assert charger.local_list_version == 5

    schedule = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
    }
    profile = {
        "chargingProfileId": 3,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": schedule,
    }
    await cs.call(call.SetChargingProfile(connector_id=0, cs_charging_profiles=profile))
    other_id = await cs.call(call.ClearChargingProfile(id=4))
    same_id = await cs.call(call.ClearChargingProfile(id=3))
    assert (other_id.status, same_id.status) == ("Unknown", "Accepted")
    assert not charger.profiles
