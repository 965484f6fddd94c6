import base64
import hashlib

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTransferTokens(HttpCase):
    """Chargers fetch firmware and upload diagnostics with one-time URLs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.charger = cls.env["ocpp.charger"].create({"charge_point_id": "CP-FILES"})
        cls.firmware = cls.env["ocpp.firmware"].create(
            {
                "name": "Terra 1.8.3",
                "file": base64.b64encode(b"FIRMWARE-BYTES"),
                "filename": "terra-1.8.3.bin",
            }
        )

    def queue(self, action, payload, **values):
        return self.env["ocpp.command"].create(
            {"charger_id": self.charger.id, "action": action, "payload": payload, **values}
        )

    def put(self, path, data):
        return self.opener.put(self.base_url() + path, data=data, timeout=12)

    def path(self, command):
        return "/ocpp/" + command.payload["location"].split("/ocpp/", 1)[1]

    def test_firmware_is_served_once_for_the_right_token(self):
        command = self.queue(
            "UpdateFirmware",
            {"retrieveDate": "2026-12-01T10:00:00Z"},
            firmware_id=self.firmware.id,
        )
        self.assertEqual(self.firmware.checksum, hashlib.sha256(b"FIRMWARE-BYTES").hexdigest())
        wrong = self.url_open("/ocpp/firmware/not-the-token")
        self.assertEqual(wrong.status_code, 404)
        first = self.url_open(self.path(command))
        self.assertEqual(first.status_code, 200)
        self.assertEqual(first.content, b"FIRMWARE-BYTES")
        self.assertIn("terra-1.8.3.bin", first.headers["Content-Disposition"])
        self.assertTrue(command.token_used_at)
        again = self.url_open(self.path(command))
        self.assertEqual(again.status_code, 403)

    def test_a_diagnostics_token_does_not_fetch_firmware(self):
        command = self.queue("GetDiagnostics", {})
        token = command.payload["location"].rsplit("/", 1)[1]
        self.assertEqual(self.url_open(f"/ocpp/firmware/{token}").status_code, 404)

    def test_diagnostics_upload_lands_on_the_charger_once(self):
        command = self.queue("GetDiagnostics", {})
        wrong = self.put("/ocpp/diagnostics/forged", b"x")
        self.assertEqual(wrong.status_code, 404)
        upload = self.url_open(self.path(command), files={"file": ("diag.zip", b"LOGS")})
        self.assertEqual(upload.status_code, 200)
        attachment = command.attachment_id
        self.assertEqual((attachment.name, attachment.raw), ("diag.zip", b"LOGS"))
        self.assertEqual(
            (attachment.res_model, attachment.res_id), ("ocpp.charger", self.charger.id)
        )
        self.assertEqual(self.charger.transfer_status_ids.status, "Received")
        reused = self.put(self.path(command), b"MORE")
        self.assertEqual(reused.status_code, 403)

    def test_diagnostics_by_http_put(self):
        command = self.queue("GetDiagnostics", {})
        put = self.put(self.path(command), b"RAW-LOGS")
        self.assertEqual(put.status_code, 200)
        self.assertEqual(command.attachment_id.raw, b"RAW-LOGS")
