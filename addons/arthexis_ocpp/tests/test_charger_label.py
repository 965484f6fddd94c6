from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BridgeCase

REPORT = "arthexis_ocpp.action_report_ocpp_charger_label"


@tagged("post_install", "-at_install")
class TestChargerLabel(BridgeCase):
    """The label renders to HTML here: PDF needs wkhtmltopdf, which tests do not."""

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("web.base.url", "https://charge.example.com")
        Charger = self.env["ocpp.charger"]
        self.lobby = Charger.create(
            {"charge_point_id": "CP-1", "name": "Lobby charger", "public": True}
        )
        self.depot = Charger.create({"charge_point_id": "CP-2", "name": "Depot"})

    def render(self, chargers):
        html, kind = self.env["ir.actions.report"]._render_qweb_html(REPORT, chargers.ids)
        self.assertEqual(kind, "html")
        return html.decode()

    def test_a_public_charger_label_has_its_name_id_qr_code_and_url(self):
        html = self.render(self.lobby)
        self.assertIn("Lobby charger", html)
        self.assertIn("CP-1", html)
        self.assertIn("data:image/png;base64," + self.lobby.public_qr_code.decode(), html)
        self.assertIn("https://charge.example.com/charger/CP-1", html)

    def test_labels_of_several_public_chargers_print_one_page_each(self):
        self.depot.public = True
        html = self.render(self.lobby | self.depot)
        self.assertEqual(html.count("o_arthexis_charger_qr"), 2)
        self.assertIn("https://charge.example.com/charger/CP-2", html)

    def test_a_private_or_archived_charger_has_no_label(self):
        with self.assertRaisesRegex(UserError, "Depot is not public"):
            self.render(self.lobby | self.depot)
        self.depot.write({"public": True, "active": False})
        with self.assertRaisesRegex(UserError, "Depot is not public"):
            self.render(self.depot)
