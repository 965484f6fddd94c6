from odoo import http
from odoo.http import request


class ChargerPublicPage(http.Controller):
    """The page a driver reaches by scanning the QR code on a charger."""

    @http.route(
        "/charger/<string:charge_point_id>",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def charger_page(self, charge_point_id, **kwargs):
        # sudo: visitors have no access to chargers. _public_charger() finds only an
        # active charger flagged public, and the page is given the plain values of
        # _public_summary(), never the record, so no tag, person, node or company
        # reaches it.
        charger = request.env["ocpp.charger"].sudo()._public_charger(charge_point_id)
        if not charger:
            raise request.not_found()
        return request.render(
            "arthexis_ocpp.ocpp_charger_public_page", {"charger": charger._public_summary()}
        )
