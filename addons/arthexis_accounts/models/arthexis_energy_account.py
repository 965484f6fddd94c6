from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError


class ArthexisEnergyAccount(models.Model):
    """What a customer may charge: kWh credits and debits, and how they pay."""

    _name = "arthexis.energy.account"
    _description = "Energy Account"
    _inherit = ["mail.thread"]
    _order = "partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        help="A person, or a company whose employees' cards share this account.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    billing_mode = fields.Selection(
        [("prepaid", "Prepaid (kWh credit)"), ("postpaid", "Postpaid (monthly invoice)")],
        required=True,
        default="prepaid",
        tracking=True,
        help="Prepaid: sessions are debited from the kWh credit. "
        "Postpaid: each session is a line on the customer's invoice of the month.",
    )
    service_account = fields.Boolean(
        tracking=True, help="Staff and service cards: charging is never refused for lack of credit."
    )
    blocked = fields.Boolean(tracking=True, help="Every card of this account is refused.")
    credit_ids = fields.One2many("arthexis.energy.credit", "account_id")
    consumption_ids = fields.One2many("arthexis.energy.consumption", "account_id")
    subscription_ids = fields.One2many("arthexis.subscription", "account_id")
    vehicle_ids = fields.One2many("arthexis.vehicle", "account_id", string="Vehicles")
    credit_kwh = fields.Float(
        "Credits (kWh)", compute="_compute_balance", store=True, digits=(16, 3)
    )
    consumption_kwh = fields.Float(
        "Consumed (kWh)",
        compute="_compute_balance",
        store=True,
        digits=(16, 3),
        help="Energy of completed sessions debited from the credit.",
    )
    balance_kwh = fields.Float(
        "Balance (kWh)", compute="_compute_balance", store=True, digits=(16, 3)
    )
    card_count = fields.Integer(compute="_compute_card_count")
    has_running_plan = fields.Boolean(compute="_compute_has_running_plan")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "partner_company_unique",
            "unique(partner_id, company_id)",
            "This customer already has an energy account in this company.",
        )
    ]

    @api.depends("credit_ids.amount_kwh", "consumption_ids.amount_kwh", "consumption_ids.debit")
    def _compute_balance(self):
        for account in self:
            account.credit_kwh = sum(account.credit_ids.mapped("amount_kwh"))
            account.consumption_kwh = sum(
                account.consumption_ids.filtered("debit").mapped("amount_kwh")
            )
            account.balance_kwh = account.credit_kwh - account.consumption_kwh

    def _compute_card_count(self):
        for account in self:
            account.card_count = len(account._cards())

    def _compute_has_running_plan(self):
        for account in self:
            account.has_running_plan = bool(account._running_subscription())

    @api.model
    def _for_partner(self, partner, company=None):
        """The account of a partner's commercial entity in a company (sudo, may be empty)."""
        company = company or self.env.company
        if not partner:
            return self.browse()
        return (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "=", partner.commercial_partner_id.id),
                    ("company_id", "=", company.id),
                ],
                limit=1,
            )
        )

    def _cards(self):
        """The cards this account pays for: its partner's and its contacts' (sudo)."""
        self.ensure_one()
        return (
            self.env["arthexis.rfid"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "child_of", self.partner_id.id),
                    ("company_id", "=", self.company_id.id),
                ]
            )
        )

    def _running_subscription(self, when=None):
        self.ensure_one()
        when = when or fields.Date.context_today(self)
        return self.subscription_ids.sudo().filtered(lambda s: s._covers(when))[:1]

    def _authorization_key(self):
        """What of an account decides its cards' answers (see arthexis.rfid._authorization)."""
        self.ensure_one()
        return (
            self.active,
            self.blocked,
            self.service_account,
            self.billing_mode,
            self.balance_kwh > 0,
            bool(self._running_subscription()),
        )

    @contextmanager
    def _refreshing_cards(self):
        """Bump the auth_version of the cards whose account changed what they are told.

        Bridges cache answers and refetch only changed versions; a credit running out
        or an account being blocked must reach them like a card being blocked.
        """
        accounts = self.sudo().exists()
        before = {account: account._authorization_key() for account in accounts}
        yield
        changed = self.browse()
        for account in accounts.exists():
            account.invalidate_recordset()
            if account._authorization_key() != before[account]:
                changed |= account
        cards = self.env["arthexis.rfid"].sudo()
        for account in changed:
            cards |= account._cards()
        if cards:
            cards.write({"auth_version": cards._next_auth_version()})

    def write(self, vals):
        with self._refreshing_cards():
            return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        cards = self.env["arthexis.rfid"].sudo()
        for account in accounts:
            cards |= account._cards()
        if cards:
            cards.write({"auth_version": cards._next_auth_version()})
        return accounts

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_history(self):
        if self.credit_ids or self.consumption_ids:
            raise UserError(
                self.env._("An account with credits or consumption is archived, not deleted.")
            )

    def action_view_cards(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "arthexis_accounts.action_arthexis_rfid"
        )
        action["domain"] = [("partner_id", "child_of", self.partner_id.id)]
        action["context"] = {"default_partner_id": self.partner_id.id}
        return action

    def action_add_credit(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add credit"),
            "res_model": "arthexis.energy.credit",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }
