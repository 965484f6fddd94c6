import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# ISO 14443 UIDs are 4, 7 or 10 bytes.
UID_LENGTHS = (8, 14, 20)
SEPARATORS = re.compile(r"[\s:\-]")


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

    def _authorization(self, now=None):
        """What a charger is told about this card: the one authorization policy.

        Returns {"status": Accepted | Blocked | Expired | Invalid, "expiry_date",
        "parent_id_tag"}. Energy accounts and plans add their checks here.
        """
        self.ensure_one()
        now = now or fields.Datetime.now()
        if not self.active:
            status = "Invalid"
        elif not self.allowed:
            status = "Blocked"
        elif self.valid_until and self.valid_until < now:
            status = "Expired"
        else:
            status = "Accepted"
        return {
            "status": status,
            "expiry_date": self.valid_until.isoformat() + "Z" if self.valid_until else False,
            "parent_id_tag": self.parent_id.uid or False,
        }
