from odoo import api, models
from odoo.exceptions import AccessError

TILE_URL = "arthexis_ocpp.map_tile_url"
TILE_ATTRIBUTION = "arthexis_ocpp.map_tile_attribution"


class OcppChargerMap(models.AbstractModel):
    """What the chargers map (static/src/map) needs besides the chargers.

    The map reads chargers and connectors itself, through the ORM and so
    through the user's record rules; only the tile settings, which charging
    users may not read from ir.config_parameter, come from here.
    """

    _name = "ocpp.charger.map"
    _description = "Charger Map"

    @api.model
    def tile_layer(self):
        """The background tiles set in Charging settings.

        {"url": a Leaflet URL template, or False for no tiles (closed networks),
        "attribution": HTML credit the tile provider asks for}.
        """
        if not self.env.user.has_group("arthexis_nodes.group_charging_user"):
            raise AccessError(self.env._("Only charging users open the chargers map."))
        # sudo: two settings meant for every map user; nothing else is read.
        params = self.env["ir.config_parameter"].sudo()
        return {
            "url": params.get_param(TILE_URL) or False,
            "attribution": params.get_param(TILE_ATTRIBUTION) or "",
        }
