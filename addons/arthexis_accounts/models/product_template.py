from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    """Charging tariffs, plans and kWh credit are ordinary Odoo products."""

    _inherit = "product.template"

    charging_kind = fields.Selection(
        [
            ("tariff", "Charging tariff (per kWh)"),
            ("plan", "Charging plan"),
            ("credit", "Prepaid kWh credit"),
        ],
        help="Tariff: sold per kWh on postpaid invoices, priced by the customer's "
        "pricelist. Plan: a subscription with included kWh. Credit: paying an invoice "
        "of it adds kWh to the customer's energy account.",
    )
    session_fee_product_id = fields.Many2one(
        "product.product",
        string="Session fee",
        domain=[("charging_kind", "=", False)],
        help="Invoiced once per session, at its pricelist price.",
    )
    idle_fee_product_id = fields.Many2one(
        "product.product",
        string="Idle fee (per minute)",
        domain=[("charging_kind", "=", False)],
        help="Invoiced per minute a car stays plugged in after it stopped drawing power.",
    )
    plan_included_kwh = fields.Float("Included kWh per period", digits=(16, 3))
    plan_extra_kwh_price = fields.Float(
        "Price per extra kWh", digits="Product Price", help="For kWh beyond the included ones."
    )
    plan_period = fields.Selection(
        [("monthly", "Monthly"), ("yearly", "Yearly")], default="monthly"
    )
    credit_kwh = fields.Float(
        "kWh credited per unit", digits=(16, 3), default=1.0, help="For prepaid kWh credit."
    )

    def _tariff_defaults(self, vals):
        """A tariff is sold per kWh, even where the form hides units of measure."""
        if vals.get("charging_kind") == "tariff" and "uom_id" not in vals:
            kwh = self.env.ref("arthexis_accounts.uom_kwh").id
            vals.update(uom_id=kwh, uom_po_id=kwh)
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._tariff_defaults(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._tariff_defaults(vals))

    @api.constrains("charging_kind", "uom_id")
    def _check_charging_uom(self):
        kwh = self.env.ref("arthexis_accounts.uom_kwh")
        for product in self:
            if product.charging_kind == "tariff" and product.uom_id != kwh:
                raise ValidationError(
                    self.env._(
                        "The tariff %(name)s must be sold per kWh: set its unit of measure to kWh.",
                        name=product.display_name,
                    )
                )

    @api.constrains("plan_included_kwh", "plan_extra_kwh_price", "credit_kwh")
    def _check_charging_amounts(self):
        for product in self:
            if product.plan_included_kwh < 0 or product.plan_extra_kwh_price < 0:
                raise ValidationError(
                    self.env._("Included kWh and the extra kWh price cannot be negative.")
                )
            if product.charging_kind == "credit" and product.credit_kwh <= 0:
                raise ValidationError(
                    self.env._("A kWh credit product must credit more than 0 kWh per unit.")
                )
