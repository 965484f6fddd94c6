import json

from odoo import http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request


def _json(payload, status=200):
    return request.make_response(
        json.dumps(payload),
        headers=[("Content-Type", "application/json"), ("Cache-Control", "no-store")],
        status=status,
    )


class NodeEnrolment(http.Controller):
    @http.route(
        "/arthexis/node/enrol",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def enrol(self, **kwargs):
        """Exchange a one-time enrolment token for the node's bridge login and API key.

        Body: JSON {token, hostname, port, version, role?}. Answers 200 with
        {database, login, api_key, node_id, name, role}, 403 with {error} for a
        wrong, used or expired token, 400 with {error} for a malformed request.
        """
        try:
            body = json.loads(request.httprequest.get_data(as_text=True) or "{}")
        except ValueError:
            return _json({"error": "The request body must be JSON."}, 400)
        if not isinstance(body, dict):
            return _json({"error": "The request body must be a JSON object."}, 400)
        info = {key: body.get(key) for key in ("hostname", "port", "version", "role")}
        info["address"] = request.httprequest.remote_addr
        try:
            # sudo: the visitor is anonymous; the one-time token is its credential, and
            # _redeem checks it before changing anything.
            answer = request.env["arthexis.node.enrolment"].sudo()._redeem(body.get("token"), info)
        except AccessError as error:
            request.env.cr.rollback()
            return _json({"error": str(error)}, 403)
        except (ValidationError, UserError) as error:
            request.env.cr.rollback()
            return _json({"error": str(error)}, 400)
        return _json(answer)


class NodeNginxConfig(http.Controller):
    @http.route("/arthexis/node/<int:node_id>/nginx.conf", type="http", auth="user")
    def nginx_config(self, node_id, **kwargs):
        """The node's rendered NGINX configuration, as a file (managers only)."""
        if not request.env.user.has_group("arthexis_nodes.group_charging_manager"):
            raise request.not_found()
        node = request.env["arthexis.node"].browse(node_id).exists()
        if not node or not node.nginx_template_id:
            raise request.not_found()
        node.check_access("read")
        filename = f"arthexis-node-{node.id}.conf"
        return request.make_response(
            node.nginx_config,
            headers=[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Disposition", f'attachment; filename="{filename}"'),
            ],
        )
