import itertools

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import CalculatorCase


@tagged("post_install", "-at_install")
class TestReferenceTables(CalculatorCase):
    def test_copper_ampacities_follow_nec_310_16(self):
        # (60 °C, 75 °C, 90 °C)
        expected = {
            "14": (15, 20, 25),
            "10": (30, 35, 40),
            "8": (40, 50, 55),
            "6": (55, 65, 75),
            "2": (95, 115, 130),
            "4/0": (195, 230, 260),
        }
        for size, ratings in expected.items():
            cable = self.cable(size)
            got = (cable.ampacity_60c, cable.ampacity_75c, cable.ampacity_90c)
            self.assertEqual(got, ratings, f"{size} AWG copper")

    def test_aluminium_ampacities_follow_nec_310_16_from_12_awg_up(self):
        self.assertFalse(self.cable("14", "aluminium"))
        expected = {"12": (15, 20, 25), "6": (40, 50, 55), "4/0": (150, 180, 205)}
        for size, ratings in expected.items():
            cable = self.cable(size, "aluminium")
            got = (cable.ampacity_60c, cable.ampacity_75c, cable.ampacity_90c)
            self.assertEqual(got, ratings, f"{size} AWG aluminium")

    def test_resistance_follows_chapter_9_table_8(self):
        self.assertAlmostEqual(self.cable("8").resistance_ohm_km, 2.551)
        self.assertAlmostEqual(self.cable("4/0").resistance_ohm_km, 0.1996)
        # 0.100 ohm/kft
        self.assertAlmostEqual(self.cable("4/0", "aluminium").resistance_ohm_km, 0.3281)
        self.assertAlmostEqual(self.cable("8").area_mm2, 8.367)

    def test_larger_sizes_carry_more_and_resist_less(self):
        for material in ("copper", "aluminium"):
            cables = self.env["arthexis.awg.cable"].search([("material", "=", material)])
            self.assertEqual(cables.mapped("size_rank"), sorted(cables.mapped("size_rank")))
            for smaller, larger in itertools.pairwise(cables):
                self.assertLess(larger.resistance_ohm_km, smaller.resistance_ohm_km)
                self.assertGreater(larger.area_mm2, smaller.area_mm2)
                self.assertGreaterEqual(larger.ampacity_90c, smaller.ampacity_90c)

    def test_small_conductor_limits_of_240_4_d(self):
        self.assertEqual(self.cable("14").max_overcurrent_a, 15)
        self.assertEqual(self.cable("12").max_overcurrent_a, 20)
        self.assertEqual(self.cable("10").max_overcurrent_a, 30)
        self.assertEqual(self.cable("12", "aluminium").max_overcurrent_a, 15)
        self.assertEqual(self.cable("10", "aluminium").max_overcurrent_a, 25)
        self.assertEqual(self.cable("8").max_overcurrent_a, 0)
        self.assertEqual(self.cable("14").usable_ampacity("75"), 15)

    def test_fixture_wire_sizes_are_never_offered_for_a_circuit(self):
        # 5 A x 1.25 = 6.25 A; 18 AWG (14 A at 90 °C, 7 A breaker) would carry it.
        self.assertFalse(self.cable("18").branch_circuit)
        calc = self.size(load_current_a=5, length_m=5, temperature="90")
        self.assertEqual(calc.cable_id, self.cable("14"))

    def test_display_name_says_size_and_material(self):
        self.assertEqual(self.cable("1/0", "aluminium").display_name, "1/0 AWG aluminium")
        self.assertEqual(self.cable("250").display_name, "250 kcmil copper")

    def test_charging_user_reads_the_tables_but_cannot_change_them(self):
        cable = self.cable("8").with_user(self.user)
        self.assertEqual(cable.ampacity_75c, 50)
        with self.assertRaises(AccessError):
            cable.write({"ampacity_75c": 60})
        with self.assertRaises(AccessError):
            self.env["arthexis.awg.conduit.fill"].with_user(self.user).create(
                {"trade_size": "3", "metric_designator": 78, "size": "8", "max_conductors": 1}
            )

    def test_charging_manager_edits_the_tables(self):
        cable = self.cable("8").with_user(self.manager)
        cable.write({"diameter_mm": 3.7})
        self.assertEqual(cable.diameter_mm, 3.7)

    def test_a_size_appears_once_per_material(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["arthexis.awg.cable"].create(
                {"size": "8", "material": "copper", "area_mm2": 8.4, "resistance_ohm_km": 2.5}
            )

    def test_negative_ampacity_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.cable("8").write({"ampacity_60c": -1})

    def test_ampacity_falling_with_temperature_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "higher temperature rating"):
            self.cable("8").write({"ampacity_90c": 45})

    def test_zero_resistance_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "more than zero"):
            self.cable("8").write({"resistance_ohm_km": 0})
