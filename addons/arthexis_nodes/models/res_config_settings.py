from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    arthexis_node_offline_after_minutes = fields.Integer(
        "Node offline after (minutes)",
        config_parameter="arthexis_nodes.offline_after_minutes",
        default=15,
        help="A node whose bridge has not reached Odoo for this long shows as offline.",
    )
    arthexis_node_enrolment_hours = fields.Integer(
        "Enrolment tokens valid (hours)",
        config_parameter="arthexis_nodes.enrolment_hours",
        default=24,
    )

    @api.constrains("arthexis_node_offline_after_minutes", "arthexis_node_enrolment_hours")
    def _check_arthexis_node_limits(self):
        for settings in self:
            if (
                min(
                    settings.arthexis_node_offline_after_minutes,
                    settings.arthexis_node_enrolment_hours,
                )
                < 1
            ):
                raise ValidationError(
                    self.env._("The node offline delay and the token validity must be at least 1.")
                )
