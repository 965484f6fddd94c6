from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ArthexisNode(models.Model):
    """The site power limit a node's bridge shares out among its active sessions."""

    _inherit = "arthexis.node"  # pylint: disable=consider-merging-classes-inherited

    site_limit = fields.Float(
        "Site power limit",
        help="The most the site's chargers may draw together; 0: no limit. The bridge "
        "spreads it across active sessions with charging profiles (docs/commands.md).",
    )
    site_limit_unit = fields.Selection(
        [("A", "Amperes per phase (A)"), ("W", "Watts (W)")], default="A", required=True
    )
    site_phases = fields.Selection(
        [("1", "Single phase"), ("3", "Three phases")], default="3", required=True
    )
    site_voltage = fields.Float(
        "Phase voltage (V)", default=230.0, help="To convert between A and W."
    )

    @api.constrains("site_limit", "site_voltage")
    def _check_site_limit(self):
        for node in self:
            if node.site_limit < 0:
                raise ValidationError(self.env._("The site power limit cannot be negative."))
            if node.site_voltage <= 0:
                raise ValidationError(self.env._("The phase voltage must be above 0 V."))

    def _power_settings(self):
        self.ensure_one()
        return {
            "site_limit": self.site_limit or False,
            "unit": self.site_limit_unit,
            "phases": int(self.site_phases),
            "voltage": self.site_voltage,
        }
