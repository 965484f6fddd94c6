from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .command_common import CommandCase


@tagged("post_install", "-at_install")
class TestReservations(CommandCase):
    def reserve(self, **values):
        return (
            self.env["ocpp.reservation"]
            .with_user(self.user)
            .create({"charger_id": self.cp.id, "rfid_id": self.card.id, **values})
        )

    def reserve_command(self, reservation):
        return reservation.command_ids.filtered(lambda c: c.action == "ReserveNow")

    def start_session(self, transaction_id, connector_id, **data):
        self.api.ingest(
            [
                self.event(
                    "transaction_started",
                    transaction_id=transaction_id,
                    connector_id=connector_id,
                    id_tag="04A2B3C4",
                    meter_start=0,
                    timestamp="2026-11-22T10:00:00Z",
                    **data,
                )
            ]
        )
        return self.cp.transaction_ids.filtered(lambda s: s.transaction_id == transaction_id)

    def test_an_available_connector_is_chosen_and_the_charger_confirms(self):
        first = self.reserve()
        self.assertEqual(first.connector_id, self.connector(1))
        self.assertEqual(first.partner_id, self.driver)
        command = self.reserve_command(first)
        self.assertEqual(
            command.payload,
            {
                "connectorId": 1,
                "expiryDate": first.expiry_date.isoformat() + "Z",
                "idTag": "04A2B3C4",
                "reservationId": first.reservation_number,
            },
        )
        self.assertEqual(first.state, "requested")
        self.answer(command, {"status": "Accepted"})
        self.assertEqual(first.state, "confirmed")
        # Connector 1 is held: the next reservation gets connector 2, then none is left.
        second = self.reserve()
        self.assertEqual(second.connector_id, self.connector(2))
        self.assertNotEqual(second.reservation_number, first.reservation_number)
        with self.assertRaisesRegex(ValidationError, "no available connector"):
            self.reserve()

    def test_a_busy_connector_is_not_chosen(self):
        self.api.ingest([self.event("status", connector_id=1, status="Charging")])
        self.assertEqual(self.reserve().connector_id, self.connector(2))

    def test_charger_refusal_marks_the_reservation_rejected(self):
        reservation = self.reserve()
        self.answer(self.reserve_command(reservation), {"status": "Occupied"})
        self.assertEqual((reservation.state, reservation.charger_status), ("rejected", "Occupied"))

    def test_a_blocked_card_cannot_reserve(self):
        self.card.allowed = False
        with self.assertRaisesRegex(ValidationError, "may not charge"):
            self.reserve()

    def test_cancel_before_and_after_the_charger_got_it(self):
        queued = self.reserve()
        queued.with_user(self.user).action_cancel()
        self.assertEqual(queued.state, "cancelled")
        self.assertEqual(self.reserve_command(queued).state, "cancelled")
        confirmed = self.reserve()
        self.answer(self.reserve_command(confirmed), {"status": "Accepted"})
        confirmed.with_user(self.user).action_cancel()
        cancel = confirmed.command_ids.filtered(lambda c: c.action == "CancelReservation")
        self.assertEqual(cancel.payload, {"reservationId": confirmed.reservation_number})
        self.assertEqual(confirmed.state, "confirmed", "until the charger agrees")
        self.answer(cancel, {"status": "Accepted"})
        self.assertEqual(confirmed.state, "cancelled")

    def test_session_with_the_reservation_id_consumes_it(self):
        reservation = self.reserve()
        self.answer(self.reserve_command(reservation), {"status": "Accepted"})
        session = self.start_session("5", 1, reservation_id=reservation.reservation_number)
        self.assertEqual((reservation.state, reservation.transaction_id), ("used", session))
        self.assertEqual(session.reservation_id, reservation)

    def test_the_card_starting_on_the_reserved_connector_consumes_it(self):
        reservation = self.reserve()
        self.answer(self.reserve_command(reservation), {"status": "Accepted"})
        self.start_session("6", 2)
        self.assertEqual(reservation.state, "confirmed", "another connector: still held")
        self.start_session("7", 1)
        self.assertEqual(reservation.state, "used")

    def test_expired_reservations_are_closed_by_the_scheduled_action(self):
        reservation = self.reserve()
        self.answer(self.reserve_command(reservation), {"status": "Accepted"})
        later = self.reserve(expiry_date=fields.Datetime.now() + timedelta(days=1))
        reservation.expiry_date = fields.Datetime.now() - timedelta(minutes=1)
        self.env["ocpp.reservation"]._cron_expire()
        self.assertEqual((reservation.state, later.state), ("expired", "requested"))
        # Its connector is free again.
        self.assertEqual(self.reserve().connector_id, reservation.connector_id)

    def test_a_reserve_command_that_never_went_out_rejects_the_reservation(self):
        reservation = self.reserve()
        command = self.reserve_command(reservation)
        command.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env["ocpp.command"]._cron_expire()
        self.assertEqual((command.state, reservation.state), ("expired", "rejected"))

    def test_expiry_must_be_in_the_future(self):
        with self.assertRaisesRegex(ValidationError, "future"):
            self.reserve(expiry_date=fields.Datetime.now() - timedelta(hours=1))
