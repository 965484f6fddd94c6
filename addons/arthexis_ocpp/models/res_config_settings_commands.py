from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    arthexis_command_expiry_minutes = fields.Integer(
        "Commands wait (minutes)",
        config_parameter="arthexis_ocpp.command_expiry_minutes",
        default=60,
        help="A command for an offline charger is sent when it reconnects within this "
        "delay, and expires after it.",
    )
    arthexis_command_answer_timeout_minutes = fields.Integer(
        "Answer timeout (minutes)",
        config_parameter="arthexis_ocpp.command_answer_timeout_minutes",
        default=10,
        help="A command sent but never reported answered by the bridge times out after this.",
    )

    @api.constrains("arthexis_command_expiry_minutes", "arthexis_command_answer_timeout_minutes")
    def _check_arthexis_command_delays(self):
        for settings in self:
            if (
                min(
                    settings.arthexis_command_expiry_minutes,
                    settings.arthexis_command_answer_timeout_minutes,
                )
                < 1
            ):
                raise ValidationError(self.env._("Command delays are whole minutes, at least 1."))
