import ipaddress
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

NODE_ROLES = [
    ("terminal", "Terminal"),
    ("control", "Control"),
    ("satellite", "Satellite"),
    ("watchtower", "Watchtower"),
]

# The upgrade channels a node follows, as its installer's --fixed, --stable,
# --unstable and --latest options name them (arthexis_release publishes to them).
UPGRADE_CHANNELS = [
    ("fixed", "Fixed"),
    ("stable", "Stable"),
    ("unstable", "Unstable"),
    ("latest", "Latest"),
]

# What a bridge may report in a heartbeat, and the type each value must have.
HEALTH_FIELDS = {
    "connected_chargers": int,
    "outbox_depth": int,
    "sync_lag_seconds": float,
}


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
    addresses = fields.Char(
        help="The node's IP addresses, separated by commas or spaces, as the bridge reports "
        "them or as you know them."
    )
    port = fields.Integer(
        default=9000, tracking=True, help="The TCP port the node's bridge serves chargers on."
    )
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
    feature_ids = fields.Many2many(
        "arthexis.node.feature",
        string="Features",
        help="What the node runs. Choosing a role sets that role's default features.",
    )
    upgrade_channel = fields.Selection(
        UPGRADE_CHANNELS,
        default="stable",
        required=True,
        tracking=True,
        help="Fixed: never upgrades by itself. Stable: stable releases. "
        "Unstable and Latest: stable and unstable releases.",
    )
    software_version = fields.Char(readonly=True)
    last_seen = fields.Datetime(readonly=True, help="Last time this node's bridge reached Odoo.")
    is_online = fields.Boolean(
        "Online",
        compute="_compute_is_online",
        search="_search_is_online",
        help="Heard from within the offline delay (Settings: Nodes, offline delay).",
    )
    connected_chargers = fields.Integer(readonly=True, help="As the bridge last reported.")
    outbox_depth = fields.Integer(
        readonly=True, help="Events waiting at the edge for delivery to Odoo, last reported."
    )
    sync_lag_seconds = fields.Float(
        "Sync lag (s)",
        readonly=True,
        digits=(16, 1),
        help="Age of the oldest event not yet delivered to Odoo, last reported.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Bridge user",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The API-only Odoo user this node's bridge logs in as.",
    )
    enrolment_ids = fields.One2many("arthexis.node.enrolment", "node_id", string="Enrolments")
    recipes_enabled = fields.Boolean(
        help="Let this node's bridge fetch the recipes assigned to it, run them and report back."
    )
    nginx_template_id = fields.Many2one(
        "arthexis.nginx.template",
        string="NGINX template",
        help="Renders the NGINX configuration in front of this node's bridge.",
    )
    nginx_config = fields.Text(
        "NGINX configuration", compute="_compute_nginx_config", help="Rendered from the template."
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

    @api.constrains("addresses")
    def _check_addresses(self):
        for node in self:
            for address in node._address_list():
                try:
                    ipaddress.ip_address(address)
                except ValueError:
                    raise ValidationError(
                        self.env._(
                            "%(address)s is not an IP address: list addresses like "
                            "192.168.1.20, fd00::20, separated by commas or spaces.",
                            address=address,
                        )
                    ) from None

    @api.constrains("port")
    def _check_port(self):
        for node in self:
            if not 1 <= node.port <= 65535:
                raise ValidationError(
                    self.env._("The port of node %(node)s must be from 1 to 65535.", node=node.name)
                )

    def _address_list(self):
        self.ensure_one()
        return (self.addresses or "").replace(",", " ").split()

    @api.model_create_multi
    def create(self, vals_list):
        Feature = self.env["arthexis.node.feature"]
        for vals in vals_list:
            if "feature_ids" not in vals:
                role = vals.get("role") or self.default_get(["role"]).get("role")
                vals["feature_ids"] = [Command.set(Feature._defaults_for(role).ids)]
        return super().create(vals_list)

    @api.onchange("role")
    def _onchange_role(self):
        self.feature_ids = self.env["arthexis.node.feature"]._defaults_for(self.role)

    def _offline_since(self):
        minutes = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("arthexis_nodes.offline_after_minutes", "15")
        )
        return fields.Datetime.now() - timedelta(minutes=int(minutes))

    @api.depends("last_seen")
    def _compute_is_online(self):
        since = self._offline_since()
        for node in self:
            node.is_online = bool(node.last_seen and node.last_seen >= since)

    def _search_is_online(self, operator, value):
        if operator not in ("=", "!="):
            raise ValueError(self.env._("Search 'Online' with = or != only."))
        since = self._offline_since()
        if (operator == "=") == bool(value):
            return [("last_seen", ">=", since)]
        return ["|", ("last_seen", "=", False), ("last_seen", "<", since)]

    @api.depends(
        "nginx_template_id",
        "hostname",
        "addresses",
        "port",
        "nginx_template_id.write_date",
    )
    def _compute_nginx_config(self):
        for node in self:
            template = node.nginx_template_id
            node.nginx_config = template.render(node) if template else False

    @api.model
    def _for_current_bridge(self):
        """The node the calling bridge user serves (empty for staff users)."""
        return self.sudo().search([("user_id", "=", self.env.uid)], limit=1)

    @api.model
    def _bridge_node(self):
        """The calling bridge's node; AccessError for anyone but a bridge with a node."""
        if not self.env.user.has_group("arthexis_nodes.group_bridge"):
            raise AccessError(self.env._("Only edge bridge users may call this method."))
        node = self._for_current_bridge()
        if not node:
            raise AccessError(self.env._("This bridge user serves no node."))
        return node

    def action_generate_api_key(self):
        """Give this node an API-only Odoo user and a new API key for its bridge.

        The key is shown once in a wizard, like Odoo's own API key dialog.
        """
        self.ensure_one()
        self.check_access("write")
        user, key = self._issue_api_key()
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

    def _issue_api_key(self):
        """(bridge user, new API key) for this node; callers check who may ask."""
        self.ensure_one()
        user = self.user_id or self._create_bridge_user()
        # sudo: a key without expiry needs system rights; callers checked the right to
        # ask for it, and the key belongs to the node's API-only user.
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate("rpc", self.env._("Arthexis bridge %s", self.name), None)
        )
        return user, key

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

    def _enrolment_values(self, info):
        """The node's values from what an enrolling bridge reports; ValidationError if bad."""
        self.ensure_one()
        vals = {"last_seen": fields.Datetime.now()}
        if info.get("hostname"):
            vals["hostname"] = str(info["hostname"])
        if info.get("version"):
            vals["software_version"] = str(info["version"])[:64]
        if info.get("port") not in (None, ""):
            try:
                vals["port"] = int(info["port"])
            except (TypeError, ValueError):
                raise ValidationError(
                    self.env._("The port must be a whole number, not %r.", info["port"])
                ) from None
        role = info.get("role")
        if role and role != self.role:
            if role not in dict(NODE_ROLES):
                raise ValidationError(
                    self.env._(
                        "Unknown role %(role)s: use terminal, control, satellite or watchtower.",
                        role=role,
                    )
                )
            vals["role"] = role
            vals["feature_ids"] = [
                Command.set(self.env["arthexis.node.feature"]._defaults_for(role).ids)
            ]
        return vals

    def action_create_enrolment_token(self):
        """A one-time token the node's installer exchanges for the node's API key."""
        self.ensure_one()
        self.check_access("write")
        enrolment, token = self.env["arthexis.node.enrolment"]._issue(self)
        wizard = self.env["arthexis.node.enrolment.token"].create(
            {"node_id": self.id, "token": token, "expires_at": enrolment.expires_at}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enrolment token"),
            "res_model": "arthexis.node.enrolment.token",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_download_nginx_config(self):
        self.ensure_one()
        if not self.nginx_template_id:
            raise UserError(self.env._("Choose an NGINX template for this node first."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/arthexis/node/{self.id}/nginx.conf",
            "target": "self",
        }

    # The bridge's calls: each checks the caller is a bridge, then acts on its own
    # node only, in sudo (bridge users have no access rights of their own).

    @api.model
    def bridge_heartbeat(self, health=None):
        """Record that the calling bridge is alive, with the health it reports.

        ``health`` may hold version, hostname, addresses (list or text) and the
        figures of HEALTH_FIELDS. Returns {"node_id", "name", "role",
        "upgrade_channel", "recipes_enabled"} so the bridge learns its settings.
        """
        node = self._bridge_node()
        health = health or {}
        if not isinstance(health, dict):
            raise ValidationError(self.env._("The heartbeat's health must be a struct."))
        vals = {"last_seen": fields.Datetime.now()}
        for name, kind in HEALTH_FIELDS.items():
            if name not in health:
                continue
            value = health[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError(
                    self.env._(
                        "The heartbeat's %(name)s must be a number, 0 or more, not %(value)r.",
                        name=name,
                        value=value,
                    )
                )
            vals[name] = kind(value)
        if health.get("version"):
            vals["software_version"] = str(health["version"])[:64]
        if health.get("hostname"):
            vals["hostname"] = str(health["hostname"])
        addresses = health.get("addresses")
        if addresses:
            if isinstance(addresses, list | tuple):
                addresses = " ".join(str(a) for a in addresses)
            vals["addresses"] = str(addresses)
        node.write(vals)  # node is in sudo: see _for_current_bridge
        return node._bridge_summary()

    def _bridge_summary(self):
        self.ensure_one()
        return {
            "node_id": self.id,
            "name": self.name,
            "role": self.role,
            "upgrade_channel": self.upgrade_channel,
            "recipes_enabled": self.recipes_enabled,
            "features": self.feature_ids.mapped("code"),
        }

    @api.model
    def bridge_nginx_config(self):
        """The calling bridge's rendered NGINX configuration."""
        node = self._bridge_node()
        if not node.nginx_template_id:
            raise UserError(
                self.env._(
                    "Node %(node)s has no NGINX template: choose one on the node in Odoo.",
                    node=node.name,
                )
            )
        return node.nginx_template_id.render(node)
