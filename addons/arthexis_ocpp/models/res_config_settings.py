from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    arthexis_offline_after_minutes = fields.Integer(
        "Offline after (minutes)",
        config_parameter="arthexis_ocpp.offline_after_minutes",
        default=10,
        help="A charger not heard from for this long shows as offline on the dashboard.",
    )
    arthexis_message_log_days = fields.Integer(
        "Keep frames (days)",
        config_parameter="arthexis_ocpp.message_log_days",
        default=7,
    )
    arthexis_message_log_per_charger = fields.Integer(
        "Keep frames per charger",
        config_parameter="arthexis_ocpp.message_log_per_charger",
        default=2000,
    )

    @api.constrains(
        "arthexis_offline_after_minutes",
        "arthexis_message_log_days",
        "arthexis_message_log_per_charger",
    )
    def _check_arthexis_limits(self):
        for settings in self:
            if (
                min(
                    settings.arthexis_offline_after_minutes,
                    settings.arthexis_message_log_days,
                    settings.arthexis_message_log_per_charger,
                )
                < 1
            ):
                raise ValidationError(
                    self.env._("The offline delay and the message log limits must be at least 1.")
                )
