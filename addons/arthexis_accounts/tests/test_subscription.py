from datetime import date, datetime

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ChargingBillingCase


@tagged("post_install", "-at_install")
class TestSubscription(ChargingBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls.env["product.product"].create(
            {
                "name": "Commuter 100",
                "type": "service",
                "charging_kind": "plan",
                "list_price": 30.0,
                "plan_included_kwh": 100,
                "plan_extra_kwh_price": 0.20,
                "plan_period": "monthly",
                "taxes_id": [(6, 0, cls.tax.ids)],
            }
        )
        cls.subscription = cls.env["arthexis.subscription"].create(
            {"account_id": cls.account.id, "plan_id": cls.plan.id, "start_date": date(2026, 1, 15)}
        )

    def covered(self, kwh, when):
        self.consume(kwh, debit=False, subscription_id=self.subscription.id, date=when)

    def test_each_ended_period_is_invoiced_once_with_the_extra_kwh(self):
        self.subscription.action_start()
        self.assertEqual(self.subscription.next_invoice_date, date(2026, 2, 15))
        self.covered(60, datetime(2026, 1, 20, 8))
        self.covered(20, datetime(2026, 2, 14, 23))  # last hours of the first period
        self.covered(90, datetime(2026, 2, 15, 7))  # first hours of the second
        self.covered(40, datetime(2026, 3, 10, 7))
        Subscription = self.env["arthexis.subscription"]

        Subscription._cron_invoice_due(today=date(2026, 2, 14))
        self.assertFalse(self.subscription.invoice_ids, "the first period has not ended")

        Subscription._cron_invoice_due(today=date(2026, 2, 15))
        first = self.subscription.invoice_ids
        self.assertEqual(len(first), 1)
        self.assertEqual(first.state, "posted")
        self.assertEqual(first.invoice_date, date(2026, 2, 14))
        self.assertEqual(len(first.invoice_line_ids), 1, "80 kWh: within the included 100")
        self.assertEqual((first.amount_untaxed, first.amount_tax, first.amount_total), (30, 6, 36))
        self.assertEqual(self.subscription.next_invoice_date, date(2026, 3, 15))

        Subscription._cron_invoice_due(today=date(2026, 2, 20))
        self.assertEqual(self.subscription.invoice_ids, first, "nothing twice")

        Subscription._cron_invoice_due(today=date(2026, 3, 15))
        second = self.subscription.invoice_ids - first
        self.assertEqual(second.state, "posted")
        extra = second.invoice_line_ids.filtered(lambda line: line.quantity == 30)
        self.assertTrue(extra, "130 kWh used, 100 included: 30 extra kWh")
        self.assertEqual(extra.price_unit, 0.20)
        self.assertEqual(
            (second.amount_untaxed, second.amount_tax, second.amount_total), (36, 7.2, 43.2)
        )
        self.assertEqual(second.partner_id, self.customer)

    def test_a_cron_run_after_a_pause_invoices_every_missed_period_and_closes_at_the_end(self):
        self.subscription.end_date = date(2026, 3, 31)
        self.subscription.action_start()
        self.env["arthexis.subscription"]._cron_invoice_due(today=date(2026, 6, 1))
        self.assertEqual(len(self.subscription.invoice_ids), 3, "Jan-Feb, Feb-Mar, Mar 15-31")
        self.assertEqual(self.subscription.state, "closed")

    def test_a_subscription_cannot_end_before_it_starts(self):
        with self.assertRaisesRegex(ValidationError, "cannot end before"), self.cr.savepoint():
            self.subscription.end_date = date(2026, 1, 1)
