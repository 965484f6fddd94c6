from odoo import api, models
from odoo.exceptions import UserError


class ReportOcppChargerLabel(models.AbstractModel):
    """The printable label: only for chargers whose public page answers."""

    _name = "report.arthexis_ocpp.report_ocpp_charger_label"
    _description = "Charger Label"

    @api.model
    def _get_report_values(self, docids, data=None):
        chargers = self.env["ocpp.charger"].with_context(active_test=False).browse(docids)
        hidden = chargers.filtered(lambda charger: not (charger.public and charger.active))
        if hidden:
            # The QR code would lead to a page that answers 404.
            raise UserError(
                self.env._(
                    "Only public chargers have a label, and %(chargers)s is not public: "
                    "tick Public on the charger (and unarchive it) first.",
                    chargers=", ".join(hidden.mapped("display_name")),
                )
            )
        return {"doc_ids": docids, "doc_model": "ocpp.charger", "docs": chargers}
