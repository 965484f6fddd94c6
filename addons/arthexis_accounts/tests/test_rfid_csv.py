import base64
import csv
import io

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.tests import tagged
from odoo.tools import file_open

from ..models.arthexis_rfid import CSV_FIELDS
from .common import ChargingBillingCase

SNAPSHOT = ("uid", "label", "allowed", "valid_until")


@tagged("post_install", "-at_install")
class TestRfidCsv(ChargingBillingCase):
    def import_csv(self, data):
        wizard = self.env["base_import.import"].create(
            {"res_model": "arthexis.rfid", "file": data, "file_type": "text/csv"}
        )
        options = {"has_headers": True, "quoting": '"', "separator": ",", "encoding": "utf-8"}
        result = wizard.execute_import(list(CSV_FIELDS), list(CSV_FIELDS), options)
        self.assertFalse(result["messages"], result["messages"])
        return self.env["arthexis.rfid"].browse(result["ids"])

    def downloaded(self, action):
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        return base64.b64decode(self.env["ir.attachment"].browse(attachment_id).datas)

    def test_exported_cards_import_back_as_the_same_cards(self):
        group = self.card("0A0B0C0D", label="Fleet group")
        cards = group | self.card(
            "04A2B3C4D5E6F7",
            label="Ada's card",
            partner_id=self.customer.id,
            parent_id=group.id,
            valid_until="2027-06-30 18:00:00",
        )
        cards |= self.card("04000009", label="Lost, blocked", allowed=False)
        before = {c.uid: ([c[f] for f in SNAPSHOT], c.partner_id, c.parent_id.uid) for c in cards}

        data = self.downloaded(self.env["arthexis.rfid"].action_export_csv())
        self.assertEqual(next(csv.reader(io.StringIO(data.decode())))[0], "uid")
        # A fresh database: the cards are gone (as when their module is uninstalled).
        cards.with_context(**{MODULE_UNINSTALL_FLAG: True}).unlink()
        self.assertFalse(self.env["arthexis.rfid"].search([("uid", "in", list(before))]))

        imported = self.import_csv(data)
        after = {c.uid: ([c[f] for f in SNAPSHOT], c.partner_id, c.parent_id.uid) for c in imported}
        self.assertEqual(after, before)

    def test_the_import_template_imports_as_is(self):
        template = self.env["arthexis.rfid"].get_import_templates()[0]["template"]
        with file_open(template.lstrip("/"), "rb") as f:
            imported = self.import_csv(f.read())
        self.assertEqual(
            {c.uid: c.parent_id.uid for c in imported},
            {"0A0B0C0D": False, "04A2B3C4": "0A0B0C0D"},
        )
