from datetime import date

from odoo import Command
from odoo.addons.arthexis_accounts.tests.common import ChargingBillingCase
from odoo.tests import new_test_user, tagged

from .common import BridgeCase


@tagged("post_install", "-at_install")
class TestSessionBilling(BridgeCase, ChargingBillingCase):
    """Sessions reported by a bridge end on the customer's balance or invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.session_fee = cls.env["product.product"].create(
            {
                "name": "Session fee",
                "type": "service",
                "list_price": 1.0,
                "taxes_id": [Command.set(cls.tax.ids)],
            }
        )
        cls.tariff.session_fee_product_id = cls.session_fee
        cls.charger_1 = cls.env["ocpp.charger"].create(
            {"charge_point_id": "CP-1", "node_id": cls.node.id, "tariff_id": cls.tariff.id}
        )
        cls.customer.property_product_pricelist = cls.fleet_pricelist
        cls.rfid = cls.env["arthexis.rfid"].create(
            {"uid": "04A2B3C4", "partner_id": cls.customer.id}
        )

    def charge(self, transaction_id, kwh, start, stop, charger="CP-1", id_tag="04A2B3C4"):
        """A whole session as the bridge reports it: start, then stop, meters in Wh."""
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    charger=charger,
                    transaction_id=transaction_id,
                    connector_id=1,
                    id_tag=id_tag,
                    meter_start=1000,
                    timestamp=start,
                ),
                self.event(
                    "transaction_stopped",
                    charger=charger,
                    transaction_id=transaction_id,
                    meter_stop=1000 + round(kwh * 1000),
                    timestamp=stop,
                    reason="EVDisconnected",
                ),
            ]
        )
        return self.env["ocpp.transaction"].search([("transaction_id", "=", transaction_id)])

    def test_postpaid_sessions_collect_on_the_months_invoice_which_is_posted_after_it(self):
        self.account.billing_mode = "postpaid"
        first = self.charge("201", 10, "2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z")
        second = self.charge("202", 5, "2026-11-20T18:00:00Z", "2026-11-20T18:40:00Z")
        self.assertEqual((first.state, first.billing_state), ("completed", "invoiced"))
        invoice = first.invoice_id
        self.assertEqual(second.invoice_id, invoice, "one open invoice per customer and month")
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertEqual(invoice.ocpp_transaction_ids, first | second)
        energy = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.tariff)
        self.assertEqual(energy.mapped("quantity"), [10, 5])
        self.assertEqual(energy.mapped("price_unit"), [0.25, 0.25], "the customer's pricelist")
        self.assertEqual(energy.product_uom_id, self.kwh)
        self.assertIn("CP-1", energy[0].name)
        self.assertIn("10.000 kWh", energy[0].name)
        self.assertEqual(energy[0].ocpp_transaction_id, first)
        fees = invoice.invoice_line_ids - energy
        self.assertEqual((len(fees), fees.product_id), (2, self.session_fee))
        # 2.50 + 1.00 for the first session, untaxed; 20% VAT by Odoo's tax.
        self.assertEqual((first.price_subtotal, first.price_total), (3.5, 4.2))

        Move = self.env["account.move"]
        Move._cron_post_charging_invoices(today=date(2026, 11, 30))
        self.assertEqual(invoice.state, "draft", "November is not over")
        december = self.charge("203", 2, "2026-12-01T07:00:00Z", "2026-12-01T07:30:00Z")
        self.assertNotEqual(december.invoice_id, invoice, "December opens a new invoice")

        Move._cron_post_charging_invoices(today=date(2026, 12, 1))
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, date(2026, 11, 30))
        self.assertEqual(
            (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total), (5.75, 1.15, 6.9)
        )
        self.assertEqual(december.invoice_id.state, "draft")

    def test_without_a_charger_tariff_the_companys_default_prices_the_session(self):
        self.account.billing_mode = "postpaid"
        self.charger_1.tariff_id = False
        self.company.arthexis_default_tariff_id = self.tariff
        session = self.charge("211", 4, "2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z")
        self.assertEqual(session.tariff_id, self.tariff)
        self.assertEqual(session.billing_state, "invoiced")

    def test_an_idle_car_pays_the_idle_fee_per_minute(self):
        self.account.billing_mode = "postpaid"
        self.tariff.idle_fee_product_id = self.env["product.product"].create(
            {"name": "Idle minute", "type": "service", "list_price": 0.10}
        )
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    transaction_id="221",
                    connector_id=1,
                    id_tag="04A2B3C4",
                    meter_start=0,
                    timestamp="2026-11-03T08:00:00Z",
                ),
                self.event(
                    "meter_values",
                    connector_id=1,
                    transaction_id="221",
                    samples=[
                        {
                            "timestamp": "2026-11-03T08:30:00Z",
                            "value": "7000",
                            "measurand": "Power.Active.Import",
                            "unit": "W",
                        }
                    ],
                ),
            ]
        )
        # Samples reach Odoo before the stop (a batch applies meter values last).
        self.api.ingest(
            [
                self.event(
                    "transaction_stopped",
                    transaction_id="221",
                    meter_stop=3500,
                    timestamp="2026-11-03T08:45:00Z",
                ),
            ]
        )
        session = self.env["ocpp.transaction"].search([("transaction_id", "=", "221")])
        idle = session.invoice_line_ids.filtered(lambda line: line.product_id.name == "Idle minute")
        self.assertEqual(idle.quantity, 15, "no power drawn for the last 15 minutes")

    def test_prepaid_sessions_come_off_the_credit_and_a_spent_card_is_refused(self):
        self.credit(20)
        version = self.api.auth_list(0)["version"]
        session = self.charge("231", 12.5, "2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z")
        self.assertEqual(session.billing_state, "debited")
        self.assertFalse(session.invoice_line_ids, "prepaid: no invoice")
        self.assertEqual(session.consumption_id.amount_kwh, 12.5)
        self.assertAlmostEqual(self.account.balance_kwh, 7.5)
        self.assertEqual(self.api.auth_list(version)["entries"], [], "still credit left")

        self.charge("232", 10, "2026-11-04T08:00:00Z", "2026-11-04T09:00:00Z")
        self.assertAlmostEqual(self.account.balance_kwh, -2.5)
        delta = self.api.auth_list(version)
        self.assertEqual(
            [(e["id_tag"], e["status"]) for e in delta["entries"]], [("04A2B3C4", "Blocked")]
        )

    def test_a_plan_covers_sessions_without_touching_the_credit(self):
        plan = self.env["product.product"].create(
            {"name": "Commuter", "type": "service", "charging_kind": "plan", "list_price": 30}
        )
        subscription = self.env["arthexis.subscription"].create(
            {"account_id": self.account.id, "plan_id": plan.id, "start_date": date(2026, 11, 1)}
        )
        subscription.action_start()
        session = self.charge("241", 8, "2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z")
        self.assertEqual(session.billing_state, "plan")
        self.assertEqual(session.consumption_id.subscription_id, subscription)
        self.assertEqual(self.account.balance_kwh, 0)
        self.assertEqual(subscription._period_usage_kwh(date(2026, 11, 1), date(2026, 12, 1)), 8)

    def test_a_session_that_cannot_be_priced_is_kept_and_says_why(self):
        self.env["arthexis.rfid"].create({"uid": "04000001"})
        nobody = self.charge(
            "251", 3, "2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z", id_tag="04000001"
        )
        self.assertEqual((nobody.state, nobody.billing_state), ("completed", "failed"))
        self.assertIn("no holder", nobody.billing_note)

        self.account.billing_mode = "postpaid"
        self.charger_1.tariff_id = False
        untariffed = self.charge("252", 3, "2026-11-03T10:00:00Z", "2026-11-03T11:00:00Z")
        self.assertEqual((untariffed.state, untariffed.billing_state), ("completed", "failed"))
        self.assertIn("No tariff", untariffed.billing_note)
        events = self.env["ocpp.event"].search([("kind", "=", "transaction_stopped")])
        self.assertEqual(set(events.mapped("state")), {"done"}, "ingestion did not fail")

        # Once the charger has a tariff, a manager prices the session again.
        self.charger_1.tariff_id = self.tariff
        untariffed.action_bill_again()
        self.assertEqual(untariffed.billing_state, "invoiced")
        self.assertFalse(untariffed.billing_note)
        self.assertEqual(untariffed.invoice_id.partner_id, self.customer)

    def test_a_card_already_charging_is_refused_online_but_not_in_the_cached_list(self):
        Card = self.env["arthexis.rfid"]
        group = self.env["arthexis.rfid"].create(
            {"uid": "0A0B0C0D", "partner_id": self.customer.id}
        )
        self.rfid.parent_id = group
        sibling = Card.create(
            {"uid": "04000002", "partner_id": self.customer.id, "parent_id": group.id}
        )
        self.account.billing_mode = "postpaid"
        self.assertEqual(self.api.authorize("04A2B3C4", concurrent=True)["status"], "Accepted")
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    transaction_id="261",
                    connector_id=1,
                    id_tag="04A2B3C4",
                    meter_start=0,
                    timestamp="2026-11-03T08:00:00Z",
                )
            ]
        )
        answer = self.api.authorize("04A2B3C4", concurrent=True)
        self.assertEqual(answer["status"], "ConcurrentTx")
        # The refused start it got elsewhere runs until that charger stops it: not counted.
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    charger="CP-2",
                    transaction_id="262",
                    connector_id=1,
                    id_tag=sibling.uid,
                    meter_start=0,
                    timestamp="2026-11-03T08:01:00Z",
                    decision={"status": "ConcurrentTx", "source": "odoo"},
                ),
                self.event(
                    "transaction_stopped",
                    transaction_id="261",
                    meter_stop=1000,
                    timestamp="2026-11-03T08:30:00Z",
                    reason="Local",
                ),
            ]
        )
        self.assertEqual(self.api.authorize(sibling.uid, concurrent=True)["status"], "Accepted")
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    transaction_id="263",
                    connector_id=1,
                    id_tag="04A2B3C4",
                    meter_start=1000,
                    timestamp="2026-11-03T09:00:00Z",
                )
            ]
        )
        answer = self.api.authorize(sibling.uid, concurrent=True)
        self.assertEqual(answer["status"], "ConcurrentTx", "same group")
        # A bridge that caches every answer does not ask for it: a stale refusal.
        self.assertEqual(self.api.authorize("04A2B3C4")["status"], "Accepted")
        listed = {e["id_tag"]: e["status"] for e in self.api.auth_list(0)["entries"]}
        self.assertEqual(listed["04A2B3C4"], "Accepted", "the cache never says ConcurrentTx")


@tagged("post_install", "-at_install")
class TestDriverSessions(BridgeCase):
    def test_drivers_see_only_their_own_sessions(self):
        ada = new_test_user(self.env, "ada", groups="base.group_portal", name="Ada")
        bob = new_test_user(self.env, "bob", groups="base.group_portal", name="Bob")
        Card = self.env["arthexis.rfid"]
        Card.create({"uid": "04000A0A", "partner_id": ada.partner_id.id})
        Card.create({"uid": "04000B0B", "partner_id": bob.partner_id.id})
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    transaction_id=tx,
                    connector_id=connector,
                    id_tag=tag,
                    meter_start=0,
                    timestamp="2026-11-03T08:00:00Z",
                )
                for tx, connector, tag in (("1", 1, "04000A0A"), ("2", 2, "04000B0B"))
            ]
        )
        Session = self.env["ocpp.transaction"]
        for user, tx in ((ada, "1"), (bob, "2")):
            with self.subTest(user=user.login):
                seen = Session.with_user(user).search([])
                self.assertEqual(seen.mapped("transaction_id"), [tx])
                self.assertEqual(seen.partner_id, user.partner_id)
