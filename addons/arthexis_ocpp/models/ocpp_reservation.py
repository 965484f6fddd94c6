from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

OPEN_STATES = ("requested", "confirmed")


class OcppReservation(models.Model):
    """A connector held for one card until an expiry time (OCPP ReserveNow)."""

    _name = "ocpp.reservation"
    _description = "Connector Reservation"
    _inherit = ["mail.thread"]
    _order = "expiry_date desc, id desc"
    _rec_name = "reservation_number"

    reservation_number = fields.Integer(
        "Reservation ID",
        readonly=True,
        copy=False,
        index=True,
        help="The reservationId the charger knows this reservation by.",
    )
    charger_id = fields.Many2one(
        "ocpp.charger", required=True, index=True, ondelete="cascade", tracking=True
    )
    connector_id = fields.Many2one(
        "ocpp.connector",
        domain="[('charger_id', '=', charger_id), ('connector_number', '>', 0)]",
        tracking=True,
        help="Leave empty: an available connector of the charger is chosen.",
    )
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    rfid_id = fields.Many2one(
        "arthexis.rfid",
        "Card",
        required=True,
        tracking=True,
        domain="[('company_id', '=', company_id)]",
    )
    partner_id = fields.Many2one(
        "res.partner", "Customer", compute="_compute_partner_id", store=True, readonly=False
    )
    energy_account_id = fields.Many2one(related="rfid_id.energy_account_id")
    expiry_date = fields.Datetime(
        required=True,
        default=lambda self: fields.Datetime.now() + timedelta(hours=1),
        tracking=True,
    )
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("confirmed", "Confirmed"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
            ("used", "Used"),
            ("expired", "Expired"),
        ],
        required=True,
        default="requested",
        readonly=True,
        index=True,
        tracking=True,
    )
    charger_status = fields.Char(
        "Charger's answer", readonly=True, help="What the charger answered to ReserveNow."
    )
    transaction_id = fields.Many2one("ocpp.transaction", "Session", readonly=True)
    command_ids = fields.One2many("ocpp.command", "reservation_id", string="Commands")

    _sql_constraints = [
        (
            "reservation_number_unique",
            "unique(reservation_number)",
            "Another reservation already has this reservation ID.",
        ),
    ]

    @api.depends("rfid_id")
    def _compute_partner_id(self):
        for reservation in self:
            reservation.partner_id = reservation.rfid_id.partner_id

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["reservation_number"] = int(
                self.env["ir.sequence"].sudo().next_by_code("ocpp.reservation")
            )
        reservations = super().create(vals_list)
        for reservation in reservations:
            reservation._check_bookable()
            if not reservation.connector_id:
                reservation.connector_id = reservation._free_connector()
            reservation._send_reserve()
        return reservations

    def _check_bookable(self):
        if self.expiry_date <= fields.Datetime.now():
            raise ValidationError(self.env._("A reservation must expire in the future."))
        if self.rfid_id.company_id != self.company_id:
            raise ValidationError(
                self.env._("The card belongs to another company than the charger.")
            )
        status = self.rfid_id._authorization()["status"]
        if status != "Accepted":
            raise ValidationError(
                self.env._(
                    "The card %(card)s may not charge (%(status)s): it cannot reserve a connector.",
                    card=self.rfid_id.display_name,
                    status=status,
                )
            )
        if self.connector_id and self.connector_id.charger_id != self.charger_id:
            raise ValidationError(self.env._("The connector must belong to the chosen charger."))
        if self.connector_id and self._clashes(self.connector_id):
            raise ValidationError(
                self.env._("%(c)s is already reserved.", c=self.connector_id.display_name)
            )

    def _clashes(self, connector):
        return self.search_count(
            [
                ("id", "!=", self.id),
                ("connector_id", "=", connector.id),
                ("state", "in", OPEN_STATES),
            ]
        )

    def _free_connector(self):
        """An available connector of the charger that no open reservation holds."""
        for connector in self.charger_id.connector_ids.filtered(
            lambda c: c.connector_number > 0 and c.status == "Available"
        ):
            if not self._clashes(connector):
                return connector
        raise ValidationError(
            self.env._(
                "%(charger)s has no available connector to reserve; pick one, or try "
                "another charger.",
                charger=self.charger_id.display_name,
            )
        )

    def _send_reserve(self):
        payload = {
            "connectorId": self.connector_id.connector_number,
            "expiryDate": self.expiry_date.isoformat() + "Z",
            "idTag": self.rfid_id.uid,
            "reservationId": self.reservation_number,
        }
        if self.rfid_id.parent_id:
            payload["parentIdTag"] = self.rfid_id.parent_id.uid
        self.env["ocpp.command"].create(
            {
                "charger_id": self.charger_id.id,
                "connector_id": self.connector_id.id,
                "action": "ReserveNow",
                "payload": payload,
                "reservation_id": self.id,
                # Useless once the reservation itself has expired.
                "expires_at": min(self.expiry_date, self.env["ocpp.command"]._default_expiry()),
            }
        )

    def action_cancel(self):
        """Cancel at the charger (CancelReservation), or at once if it never got it."""
        for reservation in self:
            if reservation.state not in OPEN_STATES:
                raise UserError(
                    self.env._(
                        "Reservation %(n)s is %(state)s: only open reservations can be cancelled.",
                        n=reservation.reservation_number,
                        state=reservation.state,
                    )
                )
            queued = reservation.command_ids.filtered(
                lambda c: c.action == "ReserveNow" and c.state == "queued"
            )
            if queued:
                queued.action_cancel()
                reservation.state = "cancelled"
                continue
            self.env["ocpp.command"].create(
                {
                    "charger_id": reservation.charger_id.id,
                    "connector_id": reservation.connector_id.id,
                    "action": "CancelReservation",
                    "payload": {"reservationId": reservation.reservation_number},
                    "reservation_id": reservation.id,
                }
            )
        return True

    def _on_reserve_answer(self, status):
        """The answer to ReserveNow: Accepted, Faulted, Occupied, Rejected or Unavailable."""
        if self.state != "requested":
            return
        self.write(
            {"state": "confirmed" if status == "Accepted" else "rejected", "charger_status": status}
        )

    def _on_reserve_failed(self, command):
        if self.state == "requested":
            self.write({"state": "rejected", "charger_status": command.state})

    def _consume(self, session):
        """The reservation's card started a session: the reservation is used."""
        self.write({"state": "used", "transaction_id": session.id})

    @api.model
    def _cron_expire(self):
        """Close open reservations past their expiry: the charger frees them by itself."""
        self.search(
            [("state", "in", OPEN_STATES), ("expiry_date", "<", fields.Datetime.now())]
        ).write({"state": "expired"})


class OcppTransaction(models.Model):
    _inherit = "ocpp.transaction"  # pylint: disable=consider-merging-classes-inherited

    reservation_id = fields.Many2one("ocpp.reservation", "Reservation used", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        sessions = super().create(vals_list)
        sessions._consume_reservations()
        return sessions

    def _consume_reservations(self):
        """A session started by a reservation's card on its connector (or by its id) uses it."""
        Reservation = self.env["ocpp.reservation"].sudo()
        for session in self.filtered("charger_id"):
            domain = [("charger_id", "=", session.charger_id.id), ("state", "in", OPEN_STATES)]
            by_number = session.reservation_number and Reservation.search(
                [*domain, ("reservation_number", "=", session.reservation_number)], limit=1
            )
            reservation = by_number or (
                session.rfid_id
                and Reservation.search(
                    [
                        *domain,
                        ("rfid_id", "=", session.rfid_id.id),
                        ("connector_id", "in", [session.connector_id.id, False]),
                    ],
                    limit=1,
                )
            )
            if reservation:
                reservation._consume(session)
                session.sudo().reservation_id = reservation
