import hashlib
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError


def hash_token(token):
    """Tokens are long random strings, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


class ArthexisNodeEnrolment(models.Model):
    """A one-time token a bridge exchanges for its node's API key on first start.

    Only the token's hash is kept; the token itself is shown once when made.
    """

    _name = "arthexis.node.enrolment"
    _description = "Node Enrolment Token"
    _order = "id desc"

    node_id = fields.Many2one("arthexis.node", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="node_id.company_id", store=True)
    token_hash = fields.Char(required=True, index=True, copy=False, groups="base.group_system")
    expires_at = fields.Datetime(required=True)
    used_at = fields.Datetime(readonly=True)
    used_from = fields.Char(readonly=True, help="Hostname and address the bridge enrolled from.")
    state = fields.Selection(
        [("valid", "Valid"), ("used", "Used"), ("expired", "Expired")],
        compute="_compute_state",
    )

    _sql_constraints = [
        ("token_hash_unique", "unique(token_hash)", "This enrolment token exists already."),
    ]

    @api.depends("used_at", "expires_at")
    def _compute_state(self):
        now = fields.Datetime.now()
        for enrolment in self:
            if enrolment.used_at:
                enrolment.state = "used"
            elif enrolment.expires_at and enrolment.expires_at < now:
                enrolment.state = "expired"
            else:
                enrolment.state = "valid"

    @api.model
    def _issue(self, node):
        """Make a token for ``node`` (the caller may edit it); return (record, token)."""
        hours = int(
            self.env["ir.config_parameter"].sudo().get_param("arthexis_nodes.enrolment_hours", "24")
        )
        token = secrets.token_urlsafe(32)
        # sudo: token_hash is readable by system only; the caller may edit the node.
        enrolment = self.sudo().create(
            {
                "node_id": node.id,
                "token_hash": hash_token(token),
                "expires_at": fields.Datetime.now() + timedelta(hours=hours),
            }
        )
        return enrolment.sudo(False), token

    @api.model
    def _redeem(self, token, info):
        """Exchange ``token`` for its node's bridge login and a new API key.

        ``info`` is what the bridge tells about itself: hostname, port, version,
        role, address. AccessError for a wrong, used or expired token, before
        anything is changed. Run in sudo: the token is the caller's credential.
        """
        if not isinstance(token, str) or not token:
            raise AccessError(self.env._("An enrolment token is required."))
        enrolment = self.search([("token_hash", "=", hash_token(token))], limit=1)
        if not enrolment:
            raise AccessError(self.env._("This enrolment token is not valid."))
        if enrolment.used_at:
            raise AccessError(
                self.env._(
                    "This enrolment token was used already: create a new one on the node in Odoo."
                )
            )
        if enrolment.expires_at < fields.Datetime.now():
            raise AccessError(
                self.env._(
                    "This enrolment token has expired: create a new one on the node in Odoo."
                )
            )
        node = enrolment.node_id
        vals = node._enrolment_values(info)
        # A concurrent redemption of the same token fails to serialize on this write.
        enrolment.write(
            {
                "used_at": fields.Datetime.now(),
                "used_from": " ".join(
                    str(part) for part in (info.get("hostname"), info.get("address")) if part
                ),
            }
        )
        node.write(vals)
        user, key = node._issue_api_key()
        return {
            "database": self.env.cr.dbname,
            "login": user.login,
            "api_key": key,
            "node_id": node.id,
            "name": node.name,
            "role": node.role,
        }
