from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

NODE_ROLES = [
    ("terminal", "Terminal"),
    ("control", "Control"),
    ("satellite", "Satellite"),
    ("watchtower", "Watchtower"),
]


class ArthexisNode(models.Model):
    """A machine of the network: an edge bridge beside chargers, or an Odoo instance."""

    _name = "arthexis.node"
    _description = "Arthexis Node"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    hostname = fields.Char(tracking=True)
    role = fields.Selection(
        NODE_ROLES,
        required=True,
        default="satellite",
        tracking=True,
        help="Terminal: single-user research and development. "
        "Control: single-device testing and special-task appliances. "
        "Satellite: multi-device edge, network and data acquisition. "
        "Watchtower: multi-user cloud and orchestration.",
    )
    software_version = fields.Char(readonly=True)
    last_seen = fields.Datetime(readonly=True, help="Last time this node's bridge reached Odoo.")
    user_id = fields.Many2one(
        "res.users",
        string="Bridge user",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The API-only Odoo user this node's bridge logs in as.",
    )
    note = fields.Html()

    _sql_constraints = [
        ("user_unique", "unique(user_id)", "Each bridge user serves exactly one node."),
    ]

    @api.constrains("hostname")
    def _check_hostname(self):
        for node in self:
            if node.hostname and any(c.isspace() or c == "/" for c in node.hostname):
                raise ValidationError(
                    self.env._(
                        "The hostname %(hostname)s is not valid: use a name or address "
                        "without spaces or slashes, like edge-01.example.com.",
                        hostname=node.hostname,
                    )
                )

    @api.model
    def _for_current_bridge(self):
        """The node the calling bridge user serves (empty for staff users)."""
        return self.sudo().search([("user_id", "=", self.env.uid)], limit=1)

    def action_generate_api_key(self):
        """Give this node an API-only Odoo user and a new API key for its bridge.

        The key is shown once in a wizard, like Odoo's own API key dialog.
        """
        self.ensure_one()
        self.check_access("write")
        user = self.user_id or self._create_bridge_user()
        # sudo: a key without expiry needs system rights; the caller may edit this
        # node (checked above) and the key belongs to the node's API-only user.
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate("rpc", self.env._("Arthexis bridge %s", self.name), None)
        )
        wizard = self.env["arthexis.node.api.key"].create(
            {"node_id": self.id, "login": user.login, "key": key}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Bridge API key"),
            "res_model": "arthexis.node.api.key",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _create_bridge_user(self):
        self.ensure_one()
        # sudo: managers of nodes are not user administrators; the user created
        # here gets only the bridge group, which reaches the bridge API alone.
        user = (
            self.env["res.users"]
            .sudo()
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": self.env._("Bridge %s", self.name),
                    "login": f"bridge-{self.id}",
                    "company_id": self.company_id.id,
                    "company_ids": [Command.set(self.company_id.ids)],
                    "groups_id": [Command.set(self.env.ref("arthexis_nodes.group_bridge").ids)],
                }
            )
        )
        self.sudo().user_id = user
        return user
