import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_is_zero
from odoo.tools.misc import format_datetime

from .ocpp_meter_value import ACTIVE_POWER

_logger = logging.getLogger(__name__)

BILLING_STATES = [
    ("debited", "Debited from credit"),
    ("plan", "Covered by plan"),
    ("invoiced", "On invoice"),
    ("free", "Nothing to bill"),
    ("failed", "Not priced"),
]


def period_start(moment):
    """The first day of the month a session is billed in."""
    return fields.Date.to_date(moment).replace(day=1)


class OcppTransaction(models.Model):
    """A completed session is billed once, as its customer's energy account says."""

    # Billing is its own file so that it evolves apart from ingestion.
    _inherit = "ocpp.transaction"  # pylint: disable=consider-merging-classes-inherited

    billing_state = fields.Selection(BILLING_STATES, readonly=True, copy=False, index=True)
    billing_note = fields.Char(
        readonly=True, copy=False, help="Why a session was not priced, or how it was billed."
    )
    energy_account_id = fields.Many2one(
        "arthexis.energy.account", readonly=True, index="btree_not_null", ondelete="set null"
    )
    tariff_id = fields.Many2one("product.product", readonly=True, ondelete="set null")
    consumption_id = fields.Many2one(
        "arthexis.energy.consumption", readonly=True, ondelete="set null", copy=False
    )
    invoice_line_ids = fields.One2many(
        "account.move.line", "ocpp_transaction_id", string="Invoice lines", readonly=True
    )
    invoice_id = fields.Many2one(
        "account.move", compute="_compute_invoice", store=True, index="btree_not_null"
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_invoice", store=True)
    price_subtotal = fields.Monetary(
        "Price (untaxed)", compute="_compute_invoice", store=True, aggregator="sum"
    )
    price_total = fields.Monetary("Price", compute="_compute_invoice", store=True)

    @api.depends(
        "invoice_line_ids.move_id",
        "invoice_line_ids.price_subtotal",
        "invoice_line_ids.price_total",
    )
    def _compute_invoice(self):
        for session in self:
            lines = session.invoice_line_ids
            session.invoice_id = lines.move_id[:1]
            session.currency_id = lines.currency_id[:1] or session.company_id.currency_id
            # Odoo computed each line with its taxes and rounding; a session is their sum.
            session.price_subtotal = sum(lines.mapped("price_subtotal"))
            session.price_total = sum(lines.mapped("price_total"))

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") == "completed":
            self.filtered(lambda s: s.state == "completed" and not s.billing_state)._bill()
        return res

    def action_bill_again(self):
        """Price sessions that could not be, once their account or tariff is fixed."""
        self.check_access("write")
        retry = self.filtered(lambda s: s.state == "completed" and s.billing_state == "failed")
        retry.sudo().write({"billing_state": False, "billing_note": False})
        retry._bill()
        return True

    def _bill(self):
        """Price each session; one that cannot be priced stays completed and says why."""
        # What the sessions' own write left pending (a meter_stop too large for its
        # column) fails here, for the caller, not as a billing error below.
        self.env.flush_all()
        for session in self:
            try:
                with self.env.cr.savepoint():
                    session.sudo()._bill_one()
            except (UserError, ValidationError) as error:
                session.sudo().write({"billing_state": "failed", "billing_note": str(error)})
            except Exception as error:  # pylint: disable=broad-exception-caught
                # Billing must never lose a session a charger reported.
                _logger.exception("session %s could not be billed", session.display_name)
                session.sudo().write({"billing_state": "failed", "billing_note": str(error)})

    def _bill_one(self):
        self.ensure_one()
        if not self.rfid_id.partner_id:
            raise UserError(self.env._("The session's card has no holder to bill."))
        account = self.env["arthexis.energy.account"]._for_partner(
            self.rfid_id.partner_id, self.company_id
        )
        if not account:
            raise UserError(
                self.env._(
                    "%(customer)s has no energy account: open one from the customer's form.",
                    customer=self.rfid_id.partner_id.display_name,
                )
            )
        when = self.stop_time or fields.Datetime.now()
        values = {"energy_account_id": account.id}
        subscription = account._running_subscription(fields.Date.to_date(when))
        if float_is_zero(self.energy_kwh, precision_digits=3) and not subscription:
            values.update(billing_state="free", billing_note=self.env._("No energy delivered."))
        elif subscription:
            values.update(
                billing_state="plan",
                consumption_id=self._consume(account, when, subscription).id,
                billing_note=subscription.display_name,
            )
        elif account.billing_mode == "prepaid":
            values.update(billing_state="debited", consumption_id=self._consume(account, when).id)
        else:
            tariff = self.charger_id.tariff_id or self.company_id.arthexis_default_tariff_id
            if not tariff:
                raise UserError(
                    self.env._(
                        "No tariff: set one on charger %(charger)s or a default tariff in "
                        "Charging settings.",
                        charger=self.charger_id.display_name,
                    )
                )
            invoice = self.env["account.move"]._charging_invoice(account, when)
            invoice.write({"invoice_line_ids": self._invoice_line_commands(tariff, invoice)})
            values.update(billing_state="invoiced", tariff_id=tariff.id)
        self.write(values)

    def _consume(self, account, when, subscription=None):
        return self.env["arthexis.energy.consumption"].create(
            {
                "account_id": account.id,
                "date": when,
                "amount_kwh": self.energy_kwh,
                "debit": not subscription,
                "subscription_id": subscription.id if subscription else False,
                "note": self._label(),
            }
        )

    def _label(self):
        return self.env._(
            "%(charger)s, %(date)s, %(kwh).3f kWh",
            charger=self.charger_id.display_name,
            date=format_datetime(self.env, self.start_time or self.stop_time),
            kwh=self.energy_kwh,
        )

    def _invoice_line_commands(self, tariff, invoice):
        """The session's lines: energy, then the optional session and idle fees."""
        kwh = self.env.ref("arthexis_accounts.uom_kwh")
        lines = [(tariff, self.energy_kwh, kwh, self._label())]
        if tariff.session_fee_product_id:
            fee = tariff.session_fee_product_id
            lines.append((fee, 1.0, fee.uom_id, fee.display_name))
        idle = self._idle_minutes()
        if tariff.idle_fee_product_id and idle >= 1:
            fee = tariff.idle_fee_product_id
            lines.append(
                (fee, idle, fee.uom_id, self.env._("%(fee)s: %(min)d min", fee=fee.name, min=idle))
            )
        pricelist = invoice.partner_id.with_company(invoice.company_id).property_product_pricelist
        commands = []
        for product, quantity, uom, name in lines:
            values = {
                "product_id": product.id,
                "name": name,
                "quantity": quantity,
                "product_uom_id": uom.id,
                "ocpp_transaction_id": self.id,
            }
            if pricelist:
                values["price_unit"] = pricelist._get_product_price(
                    product, quantity, currency=invoice.currency_id, uom=uom, date=self.stop_time
                )
            commands.append(fields.Command.create(values))
        return commands

    def _idle_minutes(self):
        """Whole minutes the car stayed plugged in after it last drew power."""
        self.ensure_one()
        drawing = self.meter_value_ids.filtered(
            lambda v: v.measurand == ACTIVE_POWER and not v.phase and v.value > 0
        )
        if not drawing or not self.stop_time:
            return 0
        last = max(drawing.mapped("timestamp"))
        return max(int((self.stop_time - last).total_seconds() // 60), 0)

    def action_view_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.invoice_id.id,
            "view_mode": "form",
        }


class ArthexisEnergyConsumption(models.Model):
    _inherit = "arthexis.energy.consumption"

    ocpp_transaction_ids = fields.One2many("ocpp.transaction", "consumption_id", readonly=True)
