import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# ISO 3779 / 49 CFR 565: letters stand for digits, positions have weights.
VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_PATTERN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
# Only North American VINs (world manufacturer codes 1 to 5) must carry the check digit.
CHECK_DIGIT_REGIONS = "12345"


def vin_check_digit(vin):
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


class ArthexisVehicle(models.Model):
    _name = "arthexis.vehicle"
    _description = "Vehicle"
    _order = "brand, model, vin"

    brand = fields.Char(required=True)
    model = fields.Char(required=True)
    vin = fields.Char("VIN", index=True, help="Vehicle Identification Number, 17 characters.")
    account_id = fields.Many2one(
        "arthexis.energy.account", string="Energy account", index=True, ondelete="set null"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Owner",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [("vin_unique", "unique(vin)", "Another vehicle already has this VIN.")]

    @api.depends("account_id")
    def _compute_partner_id(self):
        for vehicle in self:
            if vehicle.account_id:
                vehicle.partner_id = vehicle.account_id.partner_id

    @api.depends("brand", "model", "vin")
    def _compute_display_name(self):
        for vehicle in self:
            name = f"{vehicle.brand or ''} {vehicle.model or ''}".strip()
            vehicle.display_name = f"{name} ({vehicle.vin})" if vehicle.vin else name

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("vin"):
                vals["vin"] = vals["vin"].strip().upper()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("vin"):
            vals["vin"] = vals["vin"].strip().upper()
        return super().write(vals)

    @api.constrains("vin")
    def _check_vin(self):
        for vehicle in self.filtered("vin"):
            vin = vehicle.vin
            if not VIN_PATTERN.fullmatch(vin):
                raise ValidationError(
                    self.env._(
                        "The VIN %(vin)s is not valid: a VIN is 17 letters and digits, "
                        "without I, O or Q (they read like 1 and 0).",
                        vin=vin,
                    )
                )
            if vin[0] in CHECK_DIGIT_REGIONS and vin[8] != vin_check_digit(vin):
                raise ValidationError(
                    self.env._(
                        "The VIN %(vin)s does not add up: North American VINs (starting with "
                        "1 to 5) carry a check digit in 9th position, and for this VIN it "
                        "should be %(digit)s. Check for a mistyped character.",
                        vin=vin,
                        digit=vin_check_digit(vin),
                    )
                )
