import base64
import io
from urllib.parse import urlsplit

import qrcode
from odoo import Command
from odoo.tests import HttpCase, tagged
from PIL import Image

from .common import BridgeCase

ACCEPTED = {"status": "Accepted", "source": "cache"}
PRIVATE = ["04A2B3C4", "04FFEE11", "TXN-PRIVATE-1", "TXN-PRIVATE-2", "TXN-PRIVATE-3"]


class PublicChargerCase(BridgeCase):
    """A public charger at a private address, with sessions as a bridge reports them."""

    def session_events(self, transaction_id, id_tag, connector, meter_start, meter_stop, day):
        started = f"2026-11-{day:02d}T10:00:00Z"
        events = [
            self.event(
                "transaction_started",
                transaction_id=transaction_id,
                connector_id=connector,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=started,
                decision=ACCEPTED,
            )
        ]
        if meter_stop is not None:
            events.append(
                self.event(
                    "transaction_stopped",
                    transaction_id=transaction_id,
                    meter_stop=meter_stop,
                    timestamp=f"2026-11-{day:02d}T11:15:00Z",
                    reason="EVDisconnected",
                )
            )
        return events

    def setUp(self):
        super().setUp()
        self.api.ingest(
            [
                self.event("status", connector_id=1, status="Available"),
                self.event("status", connector_id=2, status="Charging"),
                *self.session_events("TXN-PRIVATE-1", "04A2B3C4", 1, 1000, 13500, 20),
                *self.session_events("TXN-PRIVATE-2", "04FFEE11", 1, 20000, 27250, 21),
                # Still charging: not part of the energy delivered yet.
                *self.session_events("TXN-PRIVATE-3", "04A2B3C4", 2, 30000, None, 22),
            ]
        )
        self.address = self.env["res.partner"].create(
            {
                "name": "Jane Roe",
                "street": "12 Hidden Lane",
                "city": "Springfield",
                "email": "jane.roe@example.com",
            }
        )
        self.cp = self.charger()
        self.cp.write({"name": "Lobby charger", "public": True, "address_id": self.address.id})


@tagged("post_install", "-at_install")
class TestPublicChargerPage(PublicChargerCase, HttpCase):
    def page(self, cp_id="CP-1"):
        return self.url_open(f"/charger/{cp_id}")

    def test_a_public_charger_shows_its_connectors_energy_and_sessions(self):
        response = self.page()
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn("Lobby charger", html)
        self.assertIn("Springfield", html)
        self.assertIn("o_arthexis_connector", html)
        self.assertIn("text-bg-success", html, "connector 1 is available: a green badge")
        self.assertIn("text-bg-primary", html, "connector 2 is charging: a blue badge")
        self.assertIn("19.75", html, "12.5 + 7.25 kWh of the two completed sessions")
        self.assertEqual(html.count("1 hr 15 min"), 2, "one row per completed session")
        self.assertIn('http-equiv="refresh"', html)

    def test_the_page_leaks_no_tag_transaction_person_or_node(self):
        html = self.page().text
        for secret in [*PRIVATE, "Jane Roe", "Hidden Lane", "jane.roe", self.node.name]:
            self.assertNotIn(secret, html)

    def test_a_private_archived_or_unknown_charger_is_not_found(self):
        self.cp.public = False
        self.assertEqual(self.page().status_code, 404, "not marked public")
        self.cp.write({"public": True, "active": False})
        self.assertEqual(self.page().status_code, 404, "archived")
        self.assertEqual(self.page("CP-NOPE").status_code, 404, "unknown")

    def test_a_charger_id_with_url_characters_is_reached_by_its_public_url(self):
        self.cp.charge_point_id = "CP#1?x=1"
        response = self.url_open(urlsplit(self.cp.public_url).path)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Lobby charger", response.text)


@tagged("post_install", "-at_install")
class TestPublicCharger(PublicChargerCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("web.base.url", "https://charge.example.com")

    def test_the_public_url_is_the_base_url_and_the_quoted_id(self):
        self.assertEqual(self.cp.public_url, "https://charge.example.com/charger/CP-1")
        self.cp.charge_point_id = "CP#1?x=1"
        self.assertEqual(self.cp.public_url, "https://charge.example.com/charger/CP%231%3Fx%3D1")

    def test_the_qr_code_is_a_png_of_the_public_url(self):
        png = base64.b64decode(self.cp.public_qr_code)
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
        # No decoder here: compare every module of the image with the QR matrix of the URL.
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data("https://charge.example.com/charger/CP-1")
        code.make(fit=True)
        matrix = code.get_matrix()  # with the quiet zone
        image = Image.open(io.BytesIO(png)).convert("L")
        self.assertEqual(image.width % len(matrix), 0, "whole modules, quiet zone included")
        box = image.width // len(matrix)
        centre = box // 2
        dark = [
            [image.getpixel((x * box + centre, y * box + centre)) < 128 for x in range(len(row))]
            for y, row in enumerate(matrix)
        ]
        self.assertEqual(dark, matrix)

    def test_only_an_active_public_charger_is_public(self):
        Charger = self.env["ocpp.charger"]
        self.assertEqual(Charger._public_charger("CP-1"), self.cp)
        self.cp.public = False
        self.assertFalse(Charger._public_charger("CP-1"))
        self.cp.write({"public": True, "active": False})
        self.assertFalse(Charger._public_charger("CP-1"))
        self.assertFalse(Charger._public_charger("CP-NOPE"))

    def test_the_summary_has_the_ten_latest_completed_sessions_and_nothing_private(self):
        events = []
        for day in range(1, 13):
            events += self.session_events(f"TXN-OLD-{day}", "04A2B3C4", 1, 0, 1000, day)
        self.api.ingest(events)
        summary = self.cp._public_summary()
        self.assertEqual(
            set(summary),
            {"name", "charge_point_id", "city", "country", "status", "colour", "is_online"}
            | {"connectors", "energy_kwh", "sessions", "url"},
        )
        self.assertEqual((summary["name"], summary["city"]), ("Lobby charger", "Springfield"))
        self.assertAlmostEqual(summary["energy_kwh"], 12.5 + 7.25 + 12 * 1.0)
        sessions = summary["sessions"]
        self.assertEqual(len(sessions), 10)
        self.assertEqual(set(sessions[0]), {"start", "duration_hours", "energy_kwh"})
        self.assertEqual(sessions[0]["start"].day, 21, "the newest completed session first")
        self.assertAlmostEqual(sessions[0]["duration_hours"], 1.25)
        self.assertEqual(
            [(c["number"], c["status"]) for c in summary["connectors"]],
            [(1, "Available"), (2, "Charging")],
        )
        self.assertNotIn("04A2B3C4", repr(summary))

    def test_a_charging_user_prints_a_label_with_the_qr_code_and_the_url(self):
        user = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Installer",
                    "login": "installer",
                    "groups_id": [
                        Command.set(self.env.ref("arthexis_nodes.group_charging_user").ids)
                    ],
                }
            )
        )
        Report = self.env["ir.actions.report"].with_user(user)
        html, kind = Report._render_qweb_html(
            "arthexis_ocpp.action_report_ocpp_charger_label", self.cp.ids
        )
        self.assertEqual(kind, "html")
        html = html.decode()
        self.assertIn("data:image/png;base64," + self.cp.public_qr_code.decode(), html)
        self.assertIn("https://charge.example.com/charger/CP-1", html)
        self.assertIn("Lobby charger", html)
