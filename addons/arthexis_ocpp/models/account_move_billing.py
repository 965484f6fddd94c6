import logging

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .ocpp_transaction_billing import period_start

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _inherit = "account.move"

    charging_period = fields.Date(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The month of charging sessions this invoice collects; posted after it ends.",
    )
    ocpp_transaction_ids = fields.One2many(
        "ocpp.transaction", "invoice_id", string="Charging sessions", readonly=True
    )
    ocpp_transaction_count = fields.Integer(compute="_compute_ocpp_transaction_count")

    def _compute_ocpp_transaction_count(self):
        for move in self:
            move.ocpp_transaction_count = len(move.ocpp_transaction_ids)

    @api.model
    def _charging_invoice(self, account, when):
        """The customer's open draft invoice for the month of ``when``, made if missing."""
        start = period_start(when)
        domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "draft"),
            ("partner_id", "=", account.partner_id.id),
            ("company_id", "=", account.company_id.id),
            ("charging_period", "=", start),
        ]
        Move = self.sudo().with_company(account.company_id)
        invoice = Move.search(domain, limit=1)
        if not invoice:
            pricelist = account.partner_id.with_company(
                account.company_id
            ).property_product_pricelist
            invoice = Move.create(
                {
                    "move_type": "out_invoice",
                    "partner_id": account.partner_id.id,
                    "company_id": account.company_id.id,
                    "currency_id": (pricelist.currency_id or account.company_id.currency_id).id,
                    "charging_period": start,
                }
            )
        return invoice

    @api.model
    def _cron_post_charging_invoices(self, today=None):
        """Post the draft charging invoices of months that ended, dated their last day."""
        today = today or fields.Date.context_today(self)
        invoices = self.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "draft"),
                ("charging_period", "<", period_start(today)),
            ]
        )
        for invoice in invoices:
            try:
                with self.env.cr.savepoint():
                    if not invoice.invoice_date:
                        invoice.invoice_date = invoice.charging_period + relativedelta(
                            months=1, days=-1
                        )
                    invoice.action_post()
            except (UserError, ValidationError) as error:
                _logger.warning("charging invoice %s not posted: %s", invoice.id, error)

    def action_view_charging_sessions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "arthexis_ocpp.action_ocpp_transaction"
        )
        action["domain"] = [("invoice_id", "=", self.id)]
        action["context"] = {"create": False}
        return action


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ocpp_transaction_id = fields.Many2one(
        "ocpp.transaction",
        string="Charging session",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
    )
