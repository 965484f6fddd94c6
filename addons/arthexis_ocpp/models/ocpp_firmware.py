import base64
import hashlib

from odoo import api, fields, models


class OcppFirmware(models.Model):
    """A firmware file staff can push to chargers with UpdateFirmware."""

    _name = "ocpp.firmware"
    _description = "Charger Firmware"
    _order = "create_date desc, id desc"

    name = fields.Char(required=True, help="e.g. ABB Terra AC 1.8.3")
    version = fields.Char()
    vendor = fields.Char(help="The charger vendor it is meant for, as in BootNotification.")
    model = fields.Char(help="The charger model it is meant for, as in BootNotification.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    file = fields.Binary(required=True, attachment=True)
    filename = fields.Char()
    checksum = fields.Char(
        "SHA-256", compute="_compute_checksum", store=True, help="To compare with the vendor's."
    )
    note = fields.Text()

    @api.depends("file")
    def _compute_checksum(self):
        for firmware in self:
            raw = firmware.with_context(bin_size=False).file
            firmware.checksum = hashlib.sha256(base64.b64decode(raw)).hexdigest() if raw else False


class OcppTransferStatus(models.Model):
    """One step of a firmware update or diagnostics upload, as the charger reported it."""

    _name = "ocpp.transfer.status"
    _description = "Firmware and Diagnostics Status"
    _order = "at desc, id desc"

    charger_id = fields.Many2one("ocpp.charger", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("firmware", "Firmware"), ("diagnostics", "Diagnostics")], required=True, index=True
    )
    status = fields.Char(required=True, help="e.g. Downloading, Installed, Uploaded, UploadFailed.")
    at = fields.Datetime("When", required=True)
    firmware_id = fields.Many2one("ocpp.firmware", ondelete="set null")
    detail = fields.Char()
