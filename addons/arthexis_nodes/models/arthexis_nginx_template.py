import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# host:port, host being a name, an IPv4 address or a bracketed IPv6 address.
UPSTREAM = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
PATH = re.compile(r"^/[^\s;{}'\"]*$")
URL = re.compile(r"^https?://[^\s;{}'\"]+$")


class ArthexisNginxTemplate(models.Model):
    """An NGINX server block in front of a node's bridge: HTTP or TLS, websockets
    for /ocpp/, the bridge as upstream with backup servers, the rest to Odoo."""

    _name = "arthexis.nginx.template"
    _description = "NGINX Template"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    server_name = fields.Char(
        help="NGINX server_name; empty: the node's hostname, or _ (any name) without one."
    )
    http_port = fields.Integer("HTTP port", default=80, required=True)
    https_port = fields.Integer("HTTPS port", default=443, required=True)
    ssl_certificate = fields.Char(
        "TLS certificate", help="Path of the certificate chain on the node; empty: plain HTTP."
    )
    ssl_certificate_key = fields.Char("TLS key", help="Path of its private key on the node.")
    ocpp_path = fields.Char("OCPP path", default="/ocpp/", required=True)
    fallback_servers = fields.Text(
        help="Backup upstreams for the bridge, one host:port a line; NGINX uses them "
        "only while the node's own bridge does not answer."
    )
    odoo_url = fields.Char(
        "Proxy the rest to",
        help="Where every other path goes, like http://127.0.0.1:8069; empty: 404.",
    )
    read_timeout = fields.Integer(
        "Websocket timeout (s)",
        default=3600,
        required=True,
        help="How long NGINX keeps a quiet charger connection open.",
    )
    node_ids = fields.One2many("arthexis.node", "nginx_template_id", string="Nodes", readonly=True)

    @api.constrains("http_port", "https_port", "read_timeout")
    def _check_numbers(self):
        for template in self:
            if not (1 <= template.http_port <= 65535 and 1 <= template.https_port <= 65535):
                raise ValidationError(self.env._("The HTTP and HTTPS ports must be 1 to 65535."))
            if template.read_timeout < 1:
                raise ValidationError(self.env._("The websocket timeout must be at least 1 s."))

    @api.constrains("ssl_certificate", "ssl_certificate_key")
    def _check_tls(self):
        for template in self:
            if bool(template.ssl_certificate) != bool(template.ssl_certificate_key):
                raise ValidationError(
                    self.env._("Set both the TLS certificate and its key, or neither.")
                )
            for path in (template.ssl_certificate, template.ssl_certificate_key):
                if path and not PATH.match(path):
                    raise ValidationError(
                        self.env._(
                            "%(path)s is not an absolute path without spaces or quotes.",
                            path=path,
                        )
                    )

    @api.constrains("ocpp_path", "odoo_url", "fallback_servers", "server_name")
    def _check_text(self):
        for template in self:
            if not PATH.match(template.ocpp_path or "") or not template.ocpp_path.endswith("/"):
                raise ValidationError(
                    self.env._("The OCPP path must start and end with /, like /ocpp/.")
                )
            if template.odoo_url and not URL.match(template.odoo_url):
                raise ValidationError(
                    self.env._("Proxy the rest to an http:// or https:// address without spaces.")
                )
            for line in template._fallbacks():
                if not UPSTREAM.match(line):
                    raise ValidationError(
                        self.env._(
                            "Fallback server %(line)s: write host:port, like 10.0.0.2:9000.",
                            line=line,
                        )
                    )
            if template.server_name and not re.match(r"^[A-Za-z0-9.*_ -]+$", template.server_name):
                raise ValidationError(
                    self.env._("The server name may hold names separated by spaces only.")
                )

    def _fallbacks(self):
        self.ensure_one()
        return [line.strip() for line in (self.fallback_servers or "").splitlines() if line.strip()]

    def render(self, node):
        """The NGINX configuration for ``node``: an upstream and its server blocks,
        to include in the http{} context (like a file in sites-enabled)."""
        self.ensure_one()
        upstream = f"arthexis_bridge_{node.id}"
        addresses = node._address_list()
        host = addresses[0] if addresses else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        servers = [f"    server {host}:{node.port or 9000} max_fails=3 fail_timeout=10s;"]
        servers += [f"    server {line} backup;" for line in self._fallbacks()]
        name = self.server_name or node.hostname or "_"
        tls = bool(self.ssl_certificate)
        timeout = f"{self.read_timeout}s"
        locations = [
            f"    location {self.ocpp_path} {{",
            f"        proxy_pass http://{upstream};",
            "        proxy_http_version 1.1;",
            "        proxy_set_header Upgrade $http_upgrade;",
            '        proxy_set_header Connection "upgrade";',
            "        proxy_set_header Host $host;",
            "        proxy_set_header X-Real-IP $remote_addr;",
            "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "        proxy_set_header X-Forwarded-Proto $scheme;",
            f"        proxy_read_timeout {timeout};",
            f"        proxy_send_timeout {timeout};",
            "    }",
        ]
        if self.odoo_url:
            locations += [
                "    location / {",
                f"        proxy_pass {self.odoo_url};",
                "        proxy_set_header Host $host;",
                "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "        proxy_set_header X-Forwarded-Proto $scheme;",
                "    }",
            ]
        else:
            locations += ["    location / {", "        return 404;", "    }"]
        lines = [
            f"# {node.name}: rendered by Arthexis from NGINX template {self.name!r}",
            f"upstream {upstream} {{",
            *servers,
            "}",
            "",
            "server {",
            f"    listen {self.http_port};",
            f"    server_name {name};",
        ]
        if tls:
            lines += [
                "    return 301 https://$host$request_uri;",
                "}",
                "",
                "server {",
                f"    listen {self.https_port} ssl;",
                f"    server_name {name};",
                f"    ssl_certificate {self.ssl_certificate};",
                f"    ssl_certificate_key {self.ssl_certificate_key};",
                "    ssl_protocols TLSv1.2 TLSv1.3;",
            ]
        lines += [*locations, "}", ""]
        return "\n".join(lines)
