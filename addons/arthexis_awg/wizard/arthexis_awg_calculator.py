from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

from ..models.arthexis_awg_cable import MATERIALS, TEMPERATURE_RATINGS
from ..models.arthexis_awg_conduit_fill import CONDUIT_TYPES

# NEC 625.41/625.42: EV charging is a continuous load, so the circuit is sized
# for 125 % of the charger's current.
CONTINUOUS_LOAD_FACTOR = 1.25

# NEC 310.15(C)(1): ampacity adjustment for more than three current-carrying
# conductors in a raceway, as (largest count, factor).
BUNDLE_ADJUSTMENT = [(3, 1.0), (6, 0.8), (9, 0.7), (20, 0.5), (30, 0.45), (40, 0.4)]
BUNDLE_ADJUSTMENT_ABOVE = 0.35

MAX_DROP_PCT = 20

PHASES = [("1", "Single-phase"), ("3", "Three-phase")]


class ArthexisAwgCalculator(models.TransientModel):
    """Size the conductors and the conduit of an EV charging circuit.

    Picks the smallest conductor that carries the load (125 % of it for a
    continuous load) at the terminals' temperature rating and keeps the voltage
    drop within the allowed percentage, then the smallest conduit that holds the
    conductors.
    """

    _name = "arthexis.awg.calculator"
    _description = "Cable Sizing Calculator"

    # The circuit
    load_type = fields.Selection(
        [("current", "Current"), ("power", "Power")],
        string="Load given as",
        required=True,
        default="current",
    )
    load_current_a = fields.Float(
        string="Load current (A)", digits=(10, 2), help="The charger's maximum current."
    )
    power_kw = fields.Float(
        string="Load power (kW)",
        digits=(10, 2),
        help="The charger's maximum power, at unity power factor.",
    )
    voltage_v = fields.Float(
        string="Voltage (V)",
        digits=(10, 1),
        required=True,
        default=240.0,
        help="Circuit voltage: line-to-line for a three-phase circuit.",
    )
    phases = fields.Selection(PHASES, required=True, default="1")
    continuous_load = fields.Boolean(
        default=True,
        help="EV charging is a continuous load (NEC 625.41): conductors carry 125 % of it.",
    )
    length_m = fields.Float(
        string="One-way length (m)", digits=(10, 1), help="From the panel to the charger."
    )
    material = fields.Selection(MATERIALS, required=True, default="copper")
    temperature = fields.Selection(
        TEMPERATURE_RATINGS,
        string="Temperature rating",
        required=True,
        default="75",
        help="The lowest temperature rating of the conductor insulation and of the "
        "terminals it lands on (NEC 110.14(C)); most EV chargers and breakers are 75 °C.",
    )
    max_drop_pct = fields.Float(
        string="Allowed voltage drop (%)",
        digits=(10, 2),
        required=True,
        default=3.0,
        help="3 % is the usual recommendation for a branch circuit (NEC 210.19 note).",
    )
    conduit_type = fields.Selection(CONDUIT_TYPES, required=True, default="emt")
    conductor_count = fields.Integer(
        string="Conductors in conduit",
        compute="_compute_conductor_counts",
        store=True,
        readonly=False,
        help="Every conductor pulled into the conduit, the grounding conductor included; "
        "all are counted at the circuit's size.",
    )
    current_carrying_count = fields.Integer(
        string="Current-carrying conductors",
        compute="_compute_conductor_counts",
        store=True,
        readonly=False,
        help="Conductors in the conduit that carry load current. Above three, the "
        "ampacity is reduced (NEC 310.15(C)(1)).",
    )

    # The answer
    input_error = fields.Text(compute="_compute_sizing")
    result_warning = fields.Text(compute="_compute_sizing")
    current_a = fields.Float(
        string="Circuit current (A)",
        digits=(10, 2),
        compute="_compute_sizing",
        help="The current the circuit carries: the load current given, or computed from "
        "the power, voltage and phases.",
    )
    required_ampacity_a = fields.Float(
        string="Required ampacity (A)", digits=(10, 2), compute="_compute_sizing"
    )
    adjustment_factor = fields.Float(digits=(10, 2), compute="_compute_sizing")
    ampacity_cable_id = fields.Many2one(
        "arthexis.awg.cable",
        string="Smallest size for the current",
        compute="_compute_sizing",
        help="The smallest conductor that carries the current, before the voltage drop "
        "is considered.",
    )
    cable_id = fields.Many2one(
        "arthexis.awg.cable", string="Conductor size", compute="_compute_sizing"
    )
    cable_ampacity_a = fields.Float(
        string="Conductor ampacity (A)", digits=(10, 2), compute="_compute_sizing"
    )
    cable_area_mm2 = fields.Float(related="cable_id.area_mm2")
    cable_diameter_mm = fields.Float(related="cable_id.diameter_mm")
    cable_resistance_ohm_km = fields.Float(related="cable_id.resistance_ohm_km")
    limited_by = fields.Selection(
        [("ampacity", "Ampacity"), ("voltage_drop", "Voltage drop")],
        string="Size set by",
        compute="_compute_sizing",
    )
    voltage_drop_v = fields.Float(
        string="Voltage drop (V)", digits=(10, 2), compute="_compute_sizing"
    )
    voltage_drop_pct = fields.Float(
        string="Voltage drop (%)", digits=(10, 2), compute="_compute_sizing"
    )
    conduit_fill_id = fields.Many2one(
        "arthexis.awg.conduit.fill", string="Conduit", compute="_compute_sizing"
    )
    conduit_trade_size = fields.Char(related="conduit_fill_id.trade_size")

    @api.depends("phases")
    def _compute_conductor_counts(self):
        for calc in self:
            # Two hots (or three phases) plus the equipment grounding conductor.
            live = 3 if calc.phases == "3" else 2
            calc.current_carrying_count = live
            calc.conductor_count = live + 1

    @api.constrains(
        "load_type",
        "load_current_a",
        "power_kw",
        "voltage_v",
        "length_m",
        "max_drop_pct",
        "conductor_count",
        "current_carrying_count",
    )
    def _check_inputs(self):
        for calc in self:
            errors = calc._input_errors()
            if errors:
                raise ValidationError("\n".join(errors))

    def _input_errors(self):
        """Readable messages for every input that cannot be sized, empty when all are fine."""
        self.ensure_one()
        errors = []
        if self.load_type == "current" and self.load_current_a <= 0:
            errors.append(
                self.env._(
                    "The load current must be more than zero amperes, not %(current)s A.",
                    current=self.load_current_a,
                )
            )
        if self.load_type == "power" and self.power_kw <= 0:
            errors.append(
                self.env._(
                    "The load power must be more than zero kilowatts, not %(power)s kW.",
                    power=self.power_kw,
                )
            )
        if self.voltage_v <= 0:
            errors.append(
                self.env._(
                    "The voltage must be more than zero volts, e.g. 240 V single-phase or "
                    "480 V three-phase."
                )
            )
        if self.length_m <= 0:
            errors.append(
                self.env._("The one-way length of the circuit must be more than zero metres.")
            )
        if not 0 < self.max_drop_pct <= MAX_DROP_PCT:
            errors.append(
                self.env._(
                    "The allowed voltage drop must be more than 0 %% and at most "
                    "%(max)s %%, not %(drop)s %%; 3 %% is usual.",
                    max=MAX_DROP_PCT,
                    drop=self.max_drop_pct,
                )
            )
        if self.current_carrying_count < 2:
            errors.append(self.env._("A circuit has at least two current-carrying conductors."))
        if self.conductor_count < self.current_carrying_count:
            errors.append(
                self.env._(
                    "The conduit holds %(total)s conductors, fewer than the %(live)s "
                    "current-carrying ones: count every conductor in the conduit.",
                    total=self.conductor_count,
                    live=self.current_carrying_count,
                )
            )
        return errors

    def _load_current(self):
        """The circuit's load current in amperes, from the current or the power given."""
        self.ensure_one()
        if self.load_type == "current":
            return self.load_current_a
        watts = self.power_kw * 1000.0
        if self.phases == "3":
            return watts / (3**0.5 * self.voltage_v)
        return watts / self.voltage_v

    def _adjustment_factor(self):
        """NEC 310.15(C)(1) factor for the number of current-carrying conductors."""
        self.ensure_one()
        for count, factor in BUNDLE_ADJUSTMENT:
            if self.current_carrying_count <= count:
                return factor
        return BUNDLE_ADJUSTMENT_ABOVE

    @api.depends(
        "load_type",
        "load_current_a",
        "power_kw",
        "voltage_v",
        "phases",
        "continuous_load",
        "length_m",
        "material",
        "temperature",
        "max_drop_pct",
        "conduit_type",
        "conductor_count",
        "current_carrying_count",
    )
    def _compute_sizing(self):
        for calc in self:
            calc.update(
                {
                    "input_error": False,
                    "result_warning": False,
                    "current_a": 0.0,
                    "required_ampacity_a": 0.0,
                    "adjustment_factor": 0.0,
                    "ampacity_cable_id": False,
                    "cable_id": False,
                    "cable_ampacity_a": 0.0,
                    "limited_by": False,
                    "voltage_drop_v": 0.0,
                    "voltage_drop_pct": 0.0,
                    "conduit_fill_id": False,
                }
            )
            errors = calc._input_errors()
            if errors:
                calc.input_error = "\n".join(errors)
                continue
            calc.update(calc._size_circuit())

    def _size_circuit(self):
        """The sizing of valid inputs, as values for the answer fields."""
        self.ensure_one()
        current = self._load_current()
        required = current * (CONTINUOUS_LOAD_FACTOR if self.continuous_load else 1.0)
        adjustment = self._adjustment_factor()
        result = {
            "current_a": current,
            "required_ampacity_a": required,
            "adjustment_factor": adjustment,
        }
        cables = self.env["arthexis.awg.cable"].search(
            [("material", "=", self.material), ("branch_circuit", "=", True)],
            order="size_rank",
        )
        carrying = cables.filtered(
            lambda cable: (
                float_compare(
                    cable.usable_ampacity(self.temperature, adjustment),
                    required,
                    precision_digits=2,
                )
                >= 0
            )
        )
        if not carrying:
            result["result_warning"] = self.env._(
                "No single %(material)s conductor in the table carries %(required).1f A at "
                "%(temperature)s °C: run parallel conductors or lower the load.",
                material=self._label("material").lower(),
                required=required,
                temperature=self.temperature,
            )
            return result
        result["ampacity_cable_id"] = carrying[0].id
        cable = next(
            (
                cable
                for cable in carrying
                if float_compare(
                    self._drop_pct(cable, current), self.max_drop_pct, precision_digits=2
                )
                <= 0
            ),
            None,
        )
        if cable is None:
            result["result_warning"] = self.env._(
                "No %(material)s conductor in the table keeps the voltage drop of this "
                "%(length)s m run within %(drop)s %%: shorten the run, raise the voltage or "
                "run parallel conductors.",
                material=self._label("material").lower(),
                length=self.length_m,
                drop=self.max_drop_pct,
            )
            return result
        drop_v = cable.voltage_drop(current, self.length_m, self.phases)
        result.update(
            {
                "cable_id": cable.id,
                "cable_ampacity_a": cable.usable_ampacity(self.temperature, adjustment),
                "limited_by": "ampacity" if cable == carrying[0] else "voltage_drop",
                "voltage_drop_v": drop_v,
                "voltage_drop_pct": drop_v / self.voltage_v * 100.0,
            }
        )
        conduit = self.env["arthexis.awg.conduit.fill"].smallest_conduit(
            self.conduit_type, cable.size, self.conductor_count
        )
        if conduit:
            result["conduit_fill_id"] = conduit.id
        else:
            result["result_warning"] = self.env._(
                "No %(conduit)s trade size in the conduit fill table holds %(count)s "
                "conductors of %(size)s: use a larger conduit or split the run.",
                conduit=self._label("conduit_type"),
                count=self.conductor_count,
                size=cable.display_name,
            )
        return result

    def _label(self, field_name):
        """The (translated) label of a selection field's current value."""
        selection = self._fields[field_name]._description_selection(self.env)
        return dict(selection).get(self[field_name], "")

    def _drop_pct(self, cable, current):
        """Voltage drop of `cable` carrying `current`, in percent of the circuit voltage."""
        return cable.voltage_drop(current, self.length_m, self.phases) / self.voltage_v * 100.0

    def action_check(self):
        """Save the inputs (which validates them) and show the answer again."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Cable sizing"),
        }
