from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CalculatorCase


@tagged("post_install", "-at_install")
class TestCalculatorValidation(CalculatorCase):
    def test_negative_current_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "load current must be more than zero"):
            self.size(load_current_a=-32, length_m=20)

    def test_zero_current_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "load current must be more than zero"):
            self.size(load_current_a=0, length_m=20)

    def test_zero_power_is_refused_when_the_load_is_given_as_power(self):
        with self.assertRaisesRegex(ValidationError, "load power must be more than zero"):
            self.size(load_type="power", power_kw=0, length_m=20)

    def test_zero_voltage_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "voltage must be more than zero"):
            self.size(load_current_a=32, length_m=20, voltage_v=0)

    def test_zero_length_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "length of the circuit must be more"):
            self.size(load_current_a=32, length_m=0)

    def test_negative_length_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "length of the circuit must be more"):
            self.size(load_current_a=32, length_m=-5)

    def test_zero_voltage_drop_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "more than 0 % and at most 20"):
            self.size(load_current_a=32, length_m=20, max_drop_pct=0)

    def test_voltage_drop_above_20_percent_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "more than 0 % and at most 20"):
            self.size(load_current_a=32, length_m=20, max_drop_pct=20.5)

    def test_voltage_drop_of_exactly_20_percent_is_accepted(self):
        calc = self.size(load_current_a=32, length_m=20, max_drop_pct=20)
        self.assertEqual(calc.cable_id, self.cable("8"))

    def test_fewer_conductors_than_current_carrying_ones_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "count every conductor"):
            self.size(load_current_a=32, length_m=20, conductor_count=2, current_carrying_count=3)

    def test_a_single_current_carrying_conductor_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "at least two current-carrying"):
            self.size(load_current_a=32, length_m=20, current_carrying_count=1)

    def test_editing_a_saved_calculation_into_a_bad_value_is_refused(self):
        calc = self.size(load_current_a=32, length_m=20)
        with self.assertRaisesRegex(ValidationError, "length of the circuit must be more"):
            calc.write({"length_m": 0})

    def test_unsaved_form_shows_every_input_error_and_no_answer(self):
        calc = self.env["arthexis.awg.calculator"].new(
            {"load_current_a": -1, "length_m": 0, "max_drop_pct": 30}
        )
        self.assertIn("load current", calc.input_error)
        self.assertIn("length", calc.input_error)
        self.assertIn("voltage drop", calc.input_error)
        self.assertFalse(calc.cable_id)
        self.assertFalse(calc.conduit_fill_id)
