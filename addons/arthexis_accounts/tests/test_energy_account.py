from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import ChargingBillingCase


@tagged("post_install", "-at_install")
class TestEnergyAccount(ChargingBillingCase):
    def test_balance_is_credits_minus_debited_consumption(self):
        self.credit(50)
        self.credit(-5)
        self.consume(12.5)
        self.consume(7.25, debit=False)  # covered by a plan: not off the credit
        self.assertAlmostEqual(self.account.credit_kwh, 45)
        self.assertAlmostEqual(self.account.consumption_kwh, 12.5)
        self.assertAlmostEqual(self.account.balance_kwh, 32.5)
        Account = self.env["arthexis.energy.account"]
        self.assertIn(self.account, Account.search([("balance_kwh", ">", 30)]))
        self.assertNotIn(self.account, Account.search([("balance_kwh", "<=", 0)]))
        self.assertAlmostEqual(self.customer.energy_balance_kwh, 32.5)

    def test_a_credit_line_says_who_added_it(self):
        credit = self.credit(10)
        self.assertEqual(credit.create_uid, self.env.user)
        self.assertTrue(credit.create_date)

    def test_one_account_per_customer_and_company(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["arthexis.energy.account"].create({"partner_id": self.customer.id})

    def test_cards_of_a_company_contact_use_the_company_account(self):
        firm = self.env["res.partner"].create({"name": "Fleet Ltd", "is_company": True})
        firm_account = self.env["arthexis.energy.account"].create({"partner_id": firm.id})
        employee = self.env["res.partner"].create({"name": "Bob", "parent_id": firm.id})
        card = self.card(partner_id=employee.id)
        self.assertEqual(card.energy_account_id, firm_account)
        self.assertIn(card, firm_account._cards())


@tagged("post_install", "-at_install")
class TestAuthorizationPolicy(ChargingBillingCase):
    def status(self, card):
        card.invalidate_recordset()
        return card._authorization()["status"]

    def test_every_outcome_of_the_policy(self):
        now = fields.Datetime.now()
        self.credit(10)
        broke = self.env["arthexis.energy.account"].create(
            {"partner_id": self.env["res.partner"].create({"name": "Broke"}).id}
        )
        cases = [
            ("Accepted", self.card("04000001", partner_id=self.customer.id)),
            ("Accepted", self.card("04000002")),  # the operator's own card: no account
            ("Blocked", self.card("04000003", partner_id=self.customer.id, allowed=False)),
            (
                "Expired",
                self.card(
                    "04000004", partner_id=self.customer.id, valid_until=now - timedelta(hours=1)
                ),
            ),
            ("Invalid", self.card("04000005", partner_id=self.customer.id, active=False)),
            ("Blocked", self.card("04000006", partner_id=broke.partner_id.id)),
        ]
        for status, card in cases:
            with self.subTest(card=card.uid):
                self.assertEqual(self.status(card), status)

    def test_a_blocked_account_blocks_its_cards_even_with_credit(self):
        self.credit(10)
        card = self.card(partner_id=self.customer.id)
        self.account.blocked = True
        self.assertEqual(self.status(card), "Blocked")

    def test_no_credit_is_refused_unless_service_postpaid_or_plan(self):
        card = self.card(partner_id=self.customer.id)
        self.assertEqual(self.status(card), "Blocked", "zero balance, prepaid")
        self.account.service_account = True
        self.assertEqual(self.status(card), "Accepted")
        self.account.service_account = False
        self.account.billing_mode = "postpaid"
        self.assertEqual(self.status(card), "Accepted")
        self.account.billing_mode = "prepaid"
        plan = self.env["product.product"].create(
            {"name": "Unlimited", "type": "service", "charging_kind": "plan", "list_price": 30}
        )
        subscription = self.env["arthexis.subscription"].create(
            {"account_id": self.account.id, "plan_id": plan.id}
        )
        self.assertEqual(self.status(card), "Blocked", "a draft subscription covers nothing")
        subscription.action_start()
        self.assertEqual(self.status(card), "Accepted")
        self.credit(1)
        self.consume(1.5)
        subscription.action_close()
        self.assertEqual(self.status(card), "Blocked", "negative balance once the plan is closed")

    def test_bridges_refetch_cards_whose_account_changed_their_answer(self):
        card = self.card(partner_id=self.customer.id)
        other = self.card("04FFFFFF")
        versions = lambda: (card.auth_version, other.auth_version)  # noqa: E731
        before = versions()
        self.credit(5)  # balance 0 -> 5: Blocked -> Accepted
        self.assertGreater(card.auth_version, before[0])
        self.assertEqual(other.auth_version, before[1], "another card's answer did not change")
        before = versions()
        self.credit(5)  # still positive: same answer, no refetch
        self.assertEqual(versions(), before)
        self.consume(10)  # back to 0: Blocked
        self.assertGreater(card.auth_version, before[0])
        before = versions()
        self.account.blocked = True
        self.assertGreater(card.auth_version, before[0])
        before = versions()
        self.account.service_account = True  # blocked wins anyway, but the inputs changed
        self.assertGreater(card.auth_version, before[0])

    def test_a_credit_line_moved_to_another_account_refreshes_both(self):
        card = self.card(partner_id=self.customer.id)
        other_holder = self.env["res.partner"].create({"name": "Bo Driver"})
        other_account = self.env["arthexis.energy.account"].create({"partner_id": other_holder.id})
        other_card = self.card("04EEEEEE", partner_id=other_holder.id)
        line = self.credit(5)  # Ada: Blocked -> Accepted; Bo: still Blocked
        before = (card.auth_version, other_card.auth_version)
        line.account_id = other_account  # a credit booked on the wrong account, corrected
        self.assertEqual(self.account.balance_kwh, 0)
        self.assertEqual(other_account.balance_kwh, 5)
        self.assertGreater(card.auth_version, before[0], "Ada lost her credit")
        self.assertGreater(other_card.auth_version, before[1], "Bo gained it")


@tagged("post_install", "-at_install")
class TestCreditPurchase(ChargingBillingCase):
    def test_paying_a_credit_invoice_adds_its_kwh_once(self):
        credit_product = self.env["product.product"].create(
            {
                "name": "Prepaid 10 kWh",
                "type": "service",
                "charging_kind": "credit",
                "credit_kwh": 10,
                "list_price": 3.0,
                "taxes_id": [Command.set(self.tax.ids)],
            }
        )
        card = self.card(partner_id=self.customer.id)
        self.assertEqual(card._authorization()["status"], "Blocked")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create({"product_id": credit_product.id, "quantity": 2})
                ],
            }
        )
        invoice.action_post()
        self.assertEqual(invoice.amount_untaxed, 6.0)
        self.assertEqual(invoice.amount_tax, 1.2)
        self.assertEqual(invoice.amount_total, 7.2)
        self.assertFalse(self.account.credit_ids, "posting is not paying")

        self.pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.account.credit_ids.invoice_id, invoice)
        self.assertAlmostEqual(self.account.balance_kwh, 20)
        card.invalidate_recordset()
        self.assertEqual(card._authorization()["status"], "Accepted")

        invoice._invoice_paid_hook()  # e.g. in_payment -> paid later on
        self.assertEqual(len(self.account.credit_ids), 1, "credited exactly once")
