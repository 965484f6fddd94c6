from dateutil.relativedelta import relativedelta
from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

PERIODS = {"monthly": relativedelta(months=1), "yearly": relativedelta(years=1)}


class ArthexisSubscription(models.Model):
    """An energy account subscribed to a charging plan, invoiced at each period's end."""

    _name = "arthexis.subscription"
    _description = "Charging Plan Subscription"
    _inherit = ["mail.thread", "arthexis.energy.account.line"]
    _order = "start_date desc, id desc"

    account_id = fields.Many2one(
        "arthexis.energy.account",
        string="Energy account",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    partner_id = fields.Many2one(related="account_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    plan_id = fields.Many2one(
        "product.product",
        required=True,
        domain=[("charging_kind", "=", "plan")],
        tracking=True,
    )
    start_date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    end_date = fields.Date(tracking=True, help="Empty: runs until closed.")
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("closed", "Closed")],
        required=True,
        default="draft",
        tracking=True,
        index=True,
    )
    period_start = fields.Date(
        readonly=True, copy=False, help="First day of the period not invoiced yet."
    )
    next_invoice_date = fields.Date(
        readonly=True, copy=False, index=True, help="The day the current period is invoiced."
    )
    invoice_ids = fields.One2many("account.move", "arthexis_subscription_id", readonly=True)
    invoice_count = fields.Integer(compute="_compute_invoice_count")

    @api.constrains("start_date", "end_date")
    def _check_dates(self):
        for subscription in self:
            if subscription.end_date and subscription.end_date < subscription.start_date:
                raise ValidationError(self.env._("A subscription cannot end before it starts."))

    @api.depends("plan_id", "partner_id")
    def _compute_display_name(self):
        for subscription in self:
            subscription.display_name = (
                f"{subscription.partner_id.display_name or ''} - "
                f"{subscription.plan_id.display_name or ''}"
            )

    def _compute_invoice_count(self):
        for subscription in self:
            subscription.invoice_count = len(subscription.invoice_ids)

    def _covers(self, day):
        self.ensure_one()
        return (
            self.state == "running"
            and self.start_date <= day
            and (not self.end_date or day <= self.end_date)
        )

    def action_start(self):
        for subscription in self:
            if subscription.state != "draft":
                raise UserError(self.env._("Only a draft subscription can be started."))
            period = PERIODS[subscription.plan_id.plan_period or "monthly"]
            subscription.write(
                {
                    "state": "running",
                    "period_start": subscription.start_date,
                    "next_invoice_date": subscription.start_date + period,
                }
            )
        return True

    def action_close(self):
        self.write({"state": "closed"})
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("arthexis_subscription_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    @api.model
    def _cron_invoice_due(self, today=None):
        """Invoice every period that ended, oldest first; close ended subscriptions."""
        today = today or fields.Date.context_today(self)
        due = self.search([("state", "=", "running"), ("next_invoice_date", "<=", today)])
        for subscription in due:
            subscription._invoice_due_periods(today)

    def _invoice_due_periods(self, today):
        self.ensure_one()
        period = PERIODS[self.plan_id.plan_period or "monthly"]
        while self.state == "running" and self.next_invoice_date <= today:
            end = self.next_invoice_date
            if self.end_date and self.end_date < end:
                end = self.end_date + relativedelta(days=1)
            self._create_period_invoice(self.period_start, end)
            values = {"period_start": end, "next_invoice_date": end + period}
            if self.end_date and end > self.end_date:
                values["state"] = "closed"
            self.write(values)

    def _period_usage_kwh(self, start, end):
        """kWh this subscription covered in [start, end)."""
        lines = (
            self.env["arthexis.energy.consumption"]
            .sudo()
            .search(
                [
                    ("subscription_id", "=", self.id),
                    ("date", ">=", fields.Datetime.to_datetime(start)),
                    ("date", "<", fields.Datetime.to_datetime(end)),
                ]
            )
        )
        return sum(lines.mapped("amount_kwh"))

    def _create_period_invoice(self, start, end):
        """A posted invoice for [start, end): the plan's price, plus the extra kWh."""
        self.ensure_one()
        plan = self.plan_id
        last_day = end - relativedelta(days=1)
        used = self._period_usage_kwh(start, end)
        extra = max(used - plan.plan_included_kwh, 0)
        partner = self.partner_id
        pricelist = partner.with_company(self.company_id).property_product_pricelist
        lines = [
            Command.create(
                {
                    "product_id": plan.id,
                    "name": self.env._(
                        "%(plan)s from %(start)s to %(end)s",
                        plan=plan.display_name,
                        start=start,
                        end=last_day,
                    ),
                    "quantity": 1,
                    "price_unit": pricelist._get_product_price(plan, 1.0, date=start)
                    if pricelist
                    else plan.lst_price,
                }
            )
        ]
        if float_compare(extra, 0, precision_digits=3) > 0:
            lines.append(
                Command.create(
                    {
                        "product_id": plan.id,
                        "name": self.env._(
                            "Extra energy: %(used).3f kWh used, %(included).3f kWh included",
                            used=used,
                            included=plan.plan_included_kwh,
                        ),
                        "quantity": extra,
                        "price_unit": plan.plan_extra_kwh_price,
                    }
                )
            )
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": self.company_id.id,
                    "invoice_date": last_day,
                    "currency_id": (pricelist.currency_id or self.company_id.currency_id).id,
                    "arthexis_subscription_id": self.id,
                    "invoice_line_ids": lines,
                }
            )
        )
        invoice.action_post()
        return invoice
