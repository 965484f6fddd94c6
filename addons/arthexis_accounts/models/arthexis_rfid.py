import csv
import io
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# ISO 14443 UIDs are 4, 7 or 10 bytes.
UID_LENGTHS = (8, 14, 20)
SEPARATORS = re.compile(r"[\s:\-]")
# The columns of the import template and of "Export CSV": the same file goes both ways.
CSV_FIELDS = ("uid", "label", "partner_id", "allowed", "valid_until", "parent_id")


def normalize_uid(uid):
    """A card UID as upper-case hex without separators: '04:a2 b3-c4' -> '04A2B3C4'."""
    return SEPARATORS.sub("", uid or "").upper()


class ArthexisRfid(models.Model):
    """An RFID card: who may charge with it, and until when."""

    _name = "arthexis.rfid"
    _description = "RFID Card"
    _inherit = ["mail.thread"]
    _order = "label, uid"
    _rec_names_search = ["uid", "label"]

    uid = fields.Char(
        "UID",
        required=True,
        index=True,
        tracking=True,
        help="The card's UID in hex (8, 14 or 20 digits); spaces, colons and dashes are removed.",
    )
    label = fields.Char(tracking=True, help="What is printed on the card, or a nickname.")
    partner_id = fields.Many2one("res.partner", string="Holder", tracking=True, index=True)
    user_id = fields.Many2one("res.users", help="The holder's Odoo user, if any.")
    allowed = fields.Boolean(default=True, tracking=True, help="Off: the card is blocked.")
    valid_until = fields.Datetime(tracking=True, help="Empty: the card does not expire.")
    parent_id = fields.Many2one(
        "arthexis.rfid",
        string="Group card",
        index=True,
        help="OCPP parentIdTag: cards of one group cannot charge twice at once.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    energy_account_id = fields.Many2one(
        "arthexis.energy.account",
        string="Energy account",
        compute="_compute_energy_account_id",
        help="The holder's (or the holder's company's) account, which pays for this card.",
    )
    auth_version = fields.Integer(
        readonly=True,
        copy=False,
        index=True,
        help="Bumped on every change, so bridges fetch only what changed.",
    )

    _sql_constraints = [("uid_unique", "unique(uid)", "Another card already has this UID.")]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "uid" in vals:
                vals["uid"] = normalize_uid(vals["uid"])
            vals["auth_version"] = self._next_auth_version()
        return super().create(vals_list)

    def write(self, vals):
        if "uid" in vals:
            vals["uid"] = normalize_uid(vals["uid"])
        if set(vals) & {"uid", "allowed", "valid_until", "parent_id", "active", "company_id"}:
            vals["auth_version"] = self._next_auth_version()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_known_to_bridges(self):
        if self:
            raise UserError(
                self.env._(
                    "Cards are archived, not deleted, so every bridge learns they are gone. "
                    "Use Archive instead."
                )
            )

    def _next_auth_version(self):
        return int(self.env["ir.sequence"].sudo().next_by_code("arthexis.rfid.auth.version"))

    @api.constrains("uid")
    def _check_uid(self):
        for card in self:
            if len(card.uid) not in UID_LENGTHS or not re.fullmatch(r"[0-9A-F]+", card.uid):
                raise ValidationError(
                    self.env._(
                        "The UID %(uid)s is not valid: a card UID is 8, 14 or 20 hexadecimal "
                        "digits (4, 7 or 10 bytes), like 04A2B3C4.",
                        uid=card.uid,
                    )
                )

    @api.constrains("parent_id")
    def _check_parent(self):
        if self._has_cycle():
            raise ValidationError(self.env._("A card cannot be its own group card."))

    @api.depends("uid", "label")
    def _compute_display_name(self):
        for card in self:
            card.display_name = f"{card.label} ({card.uid})" if card.label else card.uid

    @api.depends("partner_id", "company_id")
    def _compute_energy_account_id(self):
        # One query for a whole auth list, not one per card.
        accounts = (
            self.env["arthexis.energy.account"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "in", self.partner_id.commercial_partner_id.ids),
                    ("company_id", "in", self.company_id.ids),
                ]
            )
        )
        by_owner = {(a.partner_id.id, a.company_id.id): a.id for a in accounts}
        for card in self:
            owner = (card.partner_id.commercial_partner_id.id, card.company_id.id)
            card.energy_account_id = by_owner.get(owner, False)

    def _authorization(self, now=None, online=False):
        """What a charger is told about this card: the one authorization policy.

        Returns {"status": Accepted | Blocked | Expired | Invalid, "expiry_date",
        "parent_id_tag"}. ``online`` is for an answer given now to one charger
        (Authorize, StartTransaction), not kept in the edge's cache: arthexis_ocpp
        then adds ConcurrentTx for a card or group already charging.
        A card without an energy account is the operator's own: no balance check.
        """
        self.ensure_one()
        now = now or fields.Datetime.now()
        # sudo: the policy reads the holder's account whoever asks (bridges, staff).
        account = self.sudo().energy_account_id
        if not self.active:
            status = "Invalid"
        elif not self.allowed:
            status = "Blocked"
        elif self.valid_until and self.valid_until < now:
            status = "Expired"
        elif account and (not account.active or account.blocked):
            status = "Blocked"
        elif account and not self._is_covered(account, now):
            # OCPP 1.6 has no "no credit" status; Blocked is the one that means
            # "known, valid, but may not charge now", which a top-up will change.
            status = "Blocked"
        else:
            status = "Accepted"
        return {
            "status": status,
            "expiry_date": self.valid_until.isoformat() + "Z" if self.valid_until else False,
            "parent_id_tag": self.parent_id.uid or False,
        }

    def _is_covered(self, account, now):
        """Whether an account pays for charging now: credit, or no credit needed."""
        return (
            account.service_account
            or account.billing_mode == "postpaid"
            or account.balance_kwh > 0
            or bool(account._running_subscription(now.date()))
        )

    @api.model
    def get_import_templates(self):
        return [
            {
                "label": self.env._("Import template for RFID cards"),
                "template": "/arthexis_accounts/static/csv/arthexis_rfid_template.csv",
            }
        ]

    def _csv_rows(self):
        """The cards as rows of CSV_FIELDS, in the form Odoo's import reads back."""
        for card in self:
            yield {
                "uid": card.uid,
                "label": card.label or "",
                "partner_id": card.partner_id.display_name or "",
                "allowed": "True" if card.allowed else "False",
                # In the user's time zone, as Odoo's import reads it.
                "valid_until": fields.Datetime.to_string(
                    fields.Datetime.context_timestamp(card, card.valid_until)
                )
                if card.valid_until
                else "",
                "parent_id": card.parent_id.uid or "",
            }

    def action_export_csv(self):
        """Download the selected cards (all when none is selected) as a CSV file."""
        # Nothing selected: every card, as a backup would.
        cards = self or self.search([])  # pylint: disable=no-search-all
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
        writer.writeheader()
        # Group cards first, so an import of this file finds them when it reaches members.
        writer.writerows(cards.sorted(lambda c: (bool(c.parent_id), c.uid))._csv_rows())
        attachment = self.env["ir.attachment"].create(
            {
                "name": "rfid_cards.csv",
                "raw": buffer.getvalue().encode(),
                "mimetype": "text/csv",
                "res_model": self._name,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
