from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Conductor sizes from the smallest to the largest: the order is the size's rank.
AWG_SIZES = [
    ("18", "18 AWG"),
    ("16", "16 AWG"),
    ("14", "14 AWG"),
    ("12", "12 AWG"),
    ("10", "10 AWG"),
    ("8", "8 AWG"),
    ("6", "6 AWG"),
    ("4", "4 AWG"),
    ("3", "3 AWG"),
    ("2", "2 AWG"),
    ("1", "1 AWG"),
    ("1/0", "1/0 AWG"),
    ("2/0", "2/0 AWG"),
    ("3/0", "3/0 AWG"),
    ("4/0", "4/0 AWG"),
    ("250", "250 kcmil"),
    ("300", "300 kcmil"),
    ("350", "350 kcmil"),
    ("400", "400 kcmil"),
    ("500", "500 kcmil"),
]
AWG_SIZE_RANK = {size: rank for rank, (size, _label) in enumerate(AWG_SIZES, start=1)}

MATERIALS = [("copper", "Copper"), ("aluminium", "Aluminium")]

TEMPERATURE_RATINGS = [("60", "60 °C"), ("75", "75 °C"), ("90", "90 °C")]


class ArthexisAwgCable(models.Model):
    """One conductor size in one material, with the figures an installer looks up.

    Areas, diameters and resistances come from NEC Chapter 9 Table 8 (stranded,
    uncoated, 75 °C); ampacities from NEC Table 310.16 (not more than three
    current-carrying conductors in a raceway, 30 °C ambient).
    """

    _name = "arthexis.awg.cable"
    _description = "AWG Conductor"
    _order = "material, size_rank"
    _rec_names_search = ["size"]

    active = fields.Boolean(default=True)
    size = fields.Selection(AWG_SIZES, required=True)
    size_rank = fields.Integer(
        compute="_compute_size_rank",
        store=True,
        help="Position of the size from the smallest (18 AWG) up; sorts the table.",
    )
    material = fields.Selection(MATERIALS, required=True, default="copper")
    area_kcmil = fields.Float(
        string="Area (kcmil)", digits=(10, 2), help="Cross-section in thousands of circular mils."
    )
    area_mm2 = fields.Float(string="Area (mm²)", digits=(10, 3), required=True)
    diameter_mm = fields.Float(
        string="Diameter (mm)",
        digits=(10, 2),
        help="Overall diameter of the bare stranded conductor (NEC Chapter 9 Table 8).",
    )
    resistance_ohm_km = fields.Float(
        string="DC resistance (Ω/km)",
        digits=(10, 4),
        required=True,
        help="Direct-current resistance at 75 °C (NEC Chapter 9 Table 8).",
    )
    ampacity_60c = fields.Integer(
        string="Ampacity 60 °C (A)", help="NEC Table 310.16, 60 °C column; 0 when not listed."
    )
    ampacity_75c = fields.Integer(
        string="Ampacity 75 °C (A)", help="NEC Table 310.16, 75 °C column; 0 when not listed."
    )
    ampacity_90c = fields.Integer(
        string="Ampacity 90 °C (A)", help="NEC Table 310.16, 90 °C column; 0 when not listed."
    )
    max_overcurrent_a = fields.Integer(
        string="Max. overcurrent protection (A)",
        help="Small-conductor limit of NEC 240.4(D): the breaker protecting this conductor "
        "may not exceed this rating. 0 when the rule does not apply to this size.",
    )
    branch_circuit = fields.Boolean(
        string="Branch circuits",
        default=True,
        help="Whether this size may feed a branch circuit. 18 and 16 AWG are only for "
        "control and fixture wiring, so the cable sizing calculator skips them.",
    )

    _sql_constraints = [
        (
            "size_material_unique",
            "unique(size, material)",
            "Each conductor size appears once per material.",
        ),
    ]

    @api.depends("size", "material")
    def _compute_display_name(self):
        sizes = dict(self._fields["size"]._description_selection(self.env))
        materials = dict(self._fields["material"]._description_selection(self.env))
        for cable in self:
            cable.display_name = self.env._(
                "%(size)s %(material)s",
                size=sizes.get(cable.size, ""),
                material=materials.get(cable.material, "").lower(),
            ).strip()

    @api.depends("size")
    def _compute_size_rank(self):
        for cable in self:
            cable.size_rank = AWG_SIZE_RANK.get(cable.size, 0)

    @api.constrains("area_mm2", "diameter_mm", "resistance_ohm_km")
    def _check_dimensions(self):
        for cable in self:
            if cable.area_mm2 <= 0 or cable.resistance_ohm_km <= 0 or cable.diameter_mm < 0:
                raise ValidationError(
                    self.env._(
                        "%(cable)s: the area and the resistance must be more than zero and "
                        "the diameter cannot be negative.",
                        cable=cable.display_name,
                    )
                )

    @api.constrains("ampacity_60c", "ampacity_75c", "ampacity_90c", "max_overcurrent_a")
    def _check_ampacities(self):
        for cable in self:
            ratings = [cable.ampacity_60c, cable.ampacity_75c, cable.ampacity_90c]
            if min(ratings) < 0 or cable.max_overcurrent_a < 0:
                raise ValidationError(
                    self.env._(
                        "%(cable)s: ampacities and the overcurrent limit cannot be negative; "
                        "use 0 for a rating the table does not list.",
                        cable=cable.display_name,
                    )
                )
            listed = [rating for rating in ratings if rating]
            if listed != sorted(listed):
                raise ValidationError(
                    self.env._(
                        "%(cable)s: a conductor carries at least as much current at a higher "
                        "temperature rating; check the 60, 75 and 90 °C ampacities.",
                        cable=cable.display_name,
                    )
                )

    def ampacity_at(self, temperature):
        """Table ampacity in amperes for a temperature rating ("60", "75" or "90")."""
        self.ensure_one()
        if temperature not in dict(TEMPERATURE_RATINGS):
            raise ValidationError(
                self.env._(
                    "Unknown temperature rating %(rating)s: use 60, 75 or 90 °C.",
                    rating=temperature,
                )
            )
        return self[f"ampacity_{temperature}c"]

    def usable_ampacity(self, temperature, adjustment=1.0):
        """Current the conductor may be loaded with in a circuit, in amperes.

        The table ampacity at the temperature rating, times the adjustment factor
        for bundled conductors, and never above the small-conductor overcurrent
        limit of NEC 240.4(D).
        """
        self.ensure_one()
        ampacity = self.ampacity_at(temperature) * adjustment
        if self.max_overcurrent_a:
            ampacity = min(ampacity, self.max_overcurrent_a)
        return ampacity

    def voltage_drop(self, current, length_m, phases):
        """Voltage drop in volts of `current` amperes over a one-way run of `length_m`.

        Single-phase (and DC) circuits lose voltage in both conductors: 2·I·R·L.
        Balanced three-phase circuits: √3·I·R·L, against the line-to-line voltage.
        Uses the DC resistance, which is close to the AC impedance of these sizes
        at the unity power factor of EV chargers.
        """
        self.ensure_one()
        factor = 3**0.5 if str(phases) == "3" else 2.0
        return factor * current * self.resistance_ohm_km * length_m / 1000.0
