from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConduitFill(TransactionCase):
    def setUp(self):
        super().setUp()
        self.fill = self.env["arthexis.awg.conduit.fill"]

    def max_in(self, trade_size, size):
        row = self.fill.search(
            [("conduit_type", "=", "emt"), ("trade_size", "=", trade_size), ("size", "=", size)]
        )
        self.assertEqual(len(row), 1)
        return row.max_conductors

    def test_table_matches_annex_c_for_emt_and_thhn(self):
        # NEC Annex C Table C.1, THHN, EMT 1/2 ... 2 in.
        expected = {
            "14": [12, 22, 35, 61, 84, 138],
            "12": [9, 16, 26, 45, 61, 101],
            "10": [5, 10, 16, 28, 38, 63],
            "8": [3, 6, 9, 16, 22, 36],
            "6": [2, 4, 7, 12, 16, 26],
            "4": [1, 2, 4, 7, 10, 16],
            "1/0": [1, 1, 1, 3, 4, 7],
            "4/0": [0, 1, 1, 1, 2, 4],
        }
        trade_sizes = ["1/2", "3/4", "1", "1-1/4", "1-1/2", "2"]
        for size, counts in expected.items():
            got = [self.max_in(trade_size, size) for trade_size in trade_sizes]
            self.assertEqual(got, counts, f"{size} AWG THHN in EMT")

    def test_smallest_conduit_grows_with_the_conductor_count(self):
        # 8 AWG THHN: 1/2 in holds 3, 3/4 in holds 6, 1 in holds 9.
        self.assertEqual(self.fill.smallest_conduit("emt", "8", 3).trade_size, "1/2")
        self.assertEqual(self.fill.smallest_conduit("emt", "8", 4).trade_size, "3/4")
        self.assertEqual(self.fill.smallest_conduit("emt", "8", 7).trade_size, "1")

    def test_no_conduit_when_no_listed_size_is_large_enough(self):
        # 2 in EMT holds four 4/0 THHN at most.
        self.assertEqual(self.fill.smallest_conduit("emt", "4/0", 4).trade_size, "2")
        self.assertFalse(self.fill.smallest_conduit("emt", "4/0", 5))

    def test_no_conduit_for_a_type_without_rows(self):
        self.assertFalse(self.fill.smallest_conduit("rmc", "8", 3))
