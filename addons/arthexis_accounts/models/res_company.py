from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    arthexis_default_tariff_id = fields.Many2one(
        "product.product",
        string="Default charging tariff",
        domain=[("charging_kind", "=", "tariff")],
        help="Prices sessions at chargers that have no tariff of their own.",
    )
