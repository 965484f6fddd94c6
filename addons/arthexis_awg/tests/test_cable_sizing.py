from odoo.tests import tagged

from .common import CalculatorCase


@tagged("post_install", "-at_install")
class TestCableSizing(CalculatorCase):
    def test_32_amp_charger_on_20_m_of_copper_needs_8_awg_in_half_inch_emt(self):
        # 32 A x 1.25 = 40 A. Copper at 75 °C: 10 AWG carries 35 A (and may not be
        # protected above 30 A), 8 AWG carries 50 A: 8 AWG.
        # Drop: 2 x 32 A x 2.551 ohm/km x 0.020 km = 3.265 V = 1.36 % of 240 V.
        # Three 8 AWG THHN fit in 1/2 in EMT (Annex C: 3).
        calc = self.size(load_current_a=32, length_m=20)
        self.assertEqual(calc.required_ampacity_a, 40.0)
        self.assertEqual(calc.cable_id, self.cable("8"))
        self.assertEqual(calc.cable_ampacity_a, 50.0)
        self.assertEqual(calc.limited_by, "ampacity")
        self.assertAlmostEqual(calc.voltage_drop_v, 3.27, places=2)  # to the centivolt
        self.assertAlmostEqual(calc.voltage_drop_pct, 1.36, places=2)
        self.assertEqual(calc.conductor_count, 3)
        self.assertEqual(calc.conduit_trade_size, "1/2")
        self.assertFalse(calc.input_error)
        self.assertFalse(calc.result_warning)

    def test_long_run_voltage_drop_needs_6_awg_where_current_allows_8(self):
        # Same 32 A charger, 60 m away. 8 AWG: 2 x 32 x 2.551 x 0.060 = 9.796 V = 4.08 %
        # (over 3 %). 6 AWG: 2 x 32 x 1.608 x 0.060 = 6.175 V = 2.57 %.
        calc = self.size(load_current_a=32, length_m=60)
        self.assertEqual(calc.ampacity_cable_id, self.cable("8"))
        self.assertEqual(calc.cable_id, self.cable("6"))
        self.assertEqual(calc.limited_by, "voltage_drop")
        self.assertAlmostEqual(calc.voltage_drop_v, 6.17, places=2)
        self.assertAlmostEqual(calc.voltage_drop_pct, 2.57, places=2)

    def test_a_looser_drop_limit_keeps_the_long_run_on_8_awg(self):
        # 4.08 % with 8 AWG (see above) passes a 5 % limit.
        calc = self.size(load_current_a=32, length_m=60, max_drop_pct=5)
        self.assertEqual(calc.cable_id, self.cable("8"))
        self.assertAlmostEqual(calc.voltage_drop_pct, 4.08, places=2)

    def test_aluminium_needs_4_awg_where_copper_needs_6_awg(self):
        # 48 A x 1.25 = 60 A at 75 °C. Copper: 8 AWG 50 A, 6 AWG 65 A -> 6 AWG.
        # Aluminium: 6 AWG 50 A, 4 AWG 65 A -> 4 AWG.
        # Drops over 15 m: copper 2 x 48 x 1.608 x 0.015 = 2.316 V,
        # aluminium 2 x 48 x 1.667 x 0.015 = 2.400 V.
        copper = self.size(load_current_a=48, length_m=15)
        aluminium = self.size(load_current_a=48, length_m=15, material="aluminium")
        self.assertEqual(copper.cable_id, self.cable("6"))
        self.assertEqual(aluminium.cable_id, self.cable("4", "aluminium"))
        self.assertAlmostEqual(copper.voltage_drop_v, 2.32, places=2)
        self.assertAlmostEqual(aluminium.voltage_drop_v, 2.40, places=2)
        # Three 6 AWG THHN: 1/2 in holds 2, 3/4 in holds 4.
        self.assertEqual(copper.conduit_trade_size, "3/4")

    def test_16_amp_charger_needs_12_awg_because_14_awg_is_limited_to_15_amps(self):
        # 16 A x 1.25 = 20 A. 14 AWG copper lists 20 A at 75 °C but NEC 240.4(D) limits
        # its breaker to 15 A; 12 AWG: min(25 A, 20 A) = 20 A.
        calc = self.size(load_current_a=16, length_m=10)
        self.assertEqual(calc.cable_id, self.cable("12"))
        self.assertEqual(calc.cable_ampacity_a, 20.0)
        # 2 x 16 x 6.50 x 0.010 = 2.08 V.
        self.assertAlmostEqual(calc.voltage_drop_v, 2.08, places=3)

    def test_power_at_the_ampacity_boundary_depends_on_the_temperature_rating(self):
        # 9.6 kW / 240 V = 40 A; x 1.25 = 50 A. 8 AWG copper: 50 A at 75 °C (just enough),
        # 40 A at 60 °C (not enough; 6 AWG carries 55 A).
        at_75 = self.size(load_type="power", power_kw=9.6, length_m=10)
        at_60 = self.size(load_type="power", power_kw=9.6, length_m=10, temperature="60")
        self.assertAlmostEqual(at_75.current_a, 40.0, places=6)
        self.assertEqual(at_75.cable_id, self.cable("8"))
        self.assertEqual(at_60.cable_id, self.cable("6"))

    def test_60_kw_three_phase_480_v_charger_needs_3_awg_in_1_1_4_emt(self):
        # I = 60 000 W / (√3 x 480 V) = 72.17 A; x 1.25 = 90.21 A. Copper at 75 °C:
        # 4 AWG 85 A, 3 AWG 100 A -> 3 AWG.
        # Drop: √3 x 72.17 x 0.802 x 0.050 = 125 x 0.0401 = 5.0125 V = 1.044 % of 480 V.
        # Four 3 AWG THHN (three phases and ground): 1 in holds 3, 1-1/4 in holds 6.
        calc = self.size(load_type="power", power_kw=60, voltage_v=480, phases="3", length_m=50)
        self.assertAlmostEqual(calc.current_a, 72.17, places=2)
        self.assertAlmostEqual(calc.required_ampacity_a, 90.21, places=2)
        self.assertEqual(calc.cable_id, self.cable("3"))
        self.assertAlmostEqual(calc.voltage_drop_v, 5.01, places=2)
        self.assertAlmostEqual(calc.voltage_drop_pct, 1.04, places=2)
        self.assertEqual(calc.conductor_count, 4)
        self.assertEqual(calc.current_carrying_count, 3)
        self.assertEqual(calc.conduit_trade_size, "1-1/4")

    def test_seven_current_carrying_conductors_derate_to_70_percent(self):
        # 40 A needed. Six current-carrying conductors: 8 AWG 50 A x 0.8 = 40 A, enough.
        # Seven: 8 AWG 50 x 0.7 = 35 A, too little; 6 AWG 65 x 0.7 = 45.5 A.
        six = self.size(load_current_a=32, length_m=20, conductor_count=7, current_carrying_count=6)
        seven = self.size(
            load_current_a=32, length_m=20, conductor_count=8, current_carrying_count=7
        )
        self.assertEqual(six.adjustment_factor, 0.8)
        self.assertEqual(six.cable_id, self.cable("8"))
        self.assertEqual(seven.adjustment_factor, 0.7)
        self.assertEqual(seven.cable_id, self.cable("6"))
        self.assertAlmostEqual(seven.cable_ampacity_a, 45.5, places=2)
        # Eight 6 AWG THHN: 1 in holds 7, 1-1/4 in holds 12.
        self.assertEqual(seven.conduit_trade_size, "1-1/4")

    def test_non_continuous_load_is_sized_at_100_percent(self):
        # 28 A: continuous needs 35 A (10 AWG is limited to 30 A -> 8 AWG);
        # non-continuous needs 28 A (10 AWG, 30 A).
        continuous = self.size(load_current_a=28, length_m=10)
        plain = self.size(load_current_a=28, length_m=10, continuous_load=False)
        self.assertEqual(continuous.cable_id, self.cable("8"))
        self.assertEqual(plain.cable_id, self.cable("10"))

    def test_load_beyond_the_table_asks_for_parallel_conductors(self):
        # 400 A x 1.25 = 500 A; the largest copper conductor, 500 kcmil, carries 380 A.
        calc = self.size(load_current_a=400, length_m=10)
        self.assertFalse(calc.cable_id)
        self.assertIn("parallel", calc.result_warning)

    def test_run_too_long_for_any_size_is_reported(self):
        # 32 A over 2 km: even 500 kcmil drops 2 x 32 x 0.0845 x 2 = 10.8 V = 4.5 %.
        calc = self.size(load_current_a=32, length_m=2000)
        self.assertEqual(calc.ampacity_cable_id, self.cable("8"))
        self.assertFalse(calc.cable_id)
        self.assertIn("voltage drop", calc.result_warning)

    def test_conductors_that_fit_no_listed_emt_are_reported(self):
        # 150 A x 1.25 = 187.5 A -> 3/0 copper (200 A). 2 in EMT holds five 3/0 THHN; six
        # do not fit in any listed size.
        calc = self.size(
            load_current_a=150, length_m=10, conductor_count=6, current_carrying_count=3
        )
        self.assertEqual(calc.cable_id, self.cable("3/0"))
        self.assertFalse(calc.conduit_fill_id)
        self.assertIn("larger conduit", calc.result_warning)
