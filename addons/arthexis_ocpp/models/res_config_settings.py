import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# A Leaflet tile URL: absolute http(s) or a path on this server, with {z}, {x} and {y}.
TILE_URL_START = re.compile(r"^(https?://[^/\s]+|/)\S*$")


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    arthexis_offline_after_minutes = fields.Integer(
        "Offline after (minutes)",
        config_parameter="arthexis_ocpp.offline_after_minutes",
        default=10,
        help="A charger not heard from for this long shows as offline on the dashboard.",
    )
    arthexis_default_tariff_id = fields.Many2one(
        related="company_id.arthexis_default_tariff_id", readonly=False
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

    # No field default: emptied, the parameter is deleted and must stay empty (no
    # tiles); data/ir_config_parameter_data.xml sets OpenStreetMap on install.
    arthexis_map_tile_url = fields.Char(
        "Map tiles URL",
        config_parameter="arthexis_ocpp.map_tile_url",
        help="Leaflet URL template of the chargers map's background, e.g. "
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png. Empty: no background, for "
        "closed networks; the chargers are then shown on a plain canvas.",
    )
    arthexis_map_tile_attribution = fields.Char(
        "Map tiles credit",
        config_parameter="arthexis_ocpp.map_tile_attribution",
        help="The credit the tile provider asks for, shown in a corner of the map (HTML).",
    )

    @api.constrains("arthexis_map_tile_url")
    def _check_arthexis_map_tile_url(self):
        for settings in self:
            url = (settings.arthexis_map_tile_url or "").strip()
            if url and (
                not TILE_URL_START.match(url)
                or not all(part in url for part in ("{z}", "{x}", "{y}"))
            ):
                raise ValidationError(
                    self.env._(
                        "The map tiles URL %(url)r is not a tile URL template: start it with "
                        "http://, https:// or / and put {z}, {x} and {y} where the zoom and "
                        "tile numbers go, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png. "
                        "Leave it empty for a map without background.",
                        url=url,
                    )
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
