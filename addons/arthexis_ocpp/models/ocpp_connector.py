from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .ocpp_status import CONNECTOR_STATUSES, ERROR_CODES


class OcppConnector(models.Model):
    """A connector of a charger; number 0 stands for the charger as a whole."""

    _name = "ocpp.connector"
    _description = "Charger Connector"
    _order = "charger_id, connector_number"

    charger_id = fields.Many2one("ocpp.charger", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    connector_number = fields.Integer(
        "Connector", required=True, help="0 is the charger itself, 1 and up its connectors."
    )
    name = fields.Char(compute="_compute_name", store=True)
    status = fields.Selection(CONNECTOR_STATUSES, readonly=True)
    error_code = fields.Selection(ERROR_CODES, readonly=True)
    info = fields.Char(readonly=True)
    vendor_id = fields.Char("Vendor ID", readonly=True)
    vendor_error_code = fields.Char(readonly=True)
    status_at = fields.Datetime(
        "Status since", readonly=True, help="When the charger reported this status."
    )

    _sql_constraints = [
        (
            "charger_connector_unique",
            "unique(charger_id, connector_number)",
            "A charger has each connector number once.",
        ),
    ]

    @api.depends("charger_id.display_name", "connector_number")
    def _compute_name(self):
        for connector in self:
            if connector.connector_number:
                connector.name = (
                    f"{connector.charger_id.display_name} #{connector.connector_number}"
                )
            else:
                connector.name = connector.charger_id.display_name

    @api.constrains("connector_number")
    def _check_connector_number(self):
        for connector in self:
            if connector.connector_number < 0:
                raise ValidationError(
                    self.env._(
                        "Connector numbers start at 0 (the whole charger); %s is not valid.",
                        connector.connector_number,
                    )
                )
