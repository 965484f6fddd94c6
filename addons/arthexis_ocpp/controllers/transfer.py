from odoo import http
from odoo.http import content_disposition, request
from werkzeug.exceptions import Forbidden


class ChargerFileTransfer(http.Controller):
    """One-time URLs chargers use to fetch firmware and upload diagnostics.

    Chargers cannot log in: the token in the URL, made for one command and
    good for one transfer, is the only credential. Unknown token: 404; a token
    already used, or of a command no longer open: 403.
    """

    def _command(self, token, action):
        # sudo: the caller is a charger with no Odoo user; the random one-time token
        # identifies the one command it may act on, nothing else is reachable.
        command, verdict = request.env["ocpp.command"].sudo()._transfer_by_token(token, action)
        if verdict == "unknown":
            raise request.not_found()
        if verdict != "ok":
            raise Forbidden()
        return command

    @http.route(
        "/ocpp/firmware/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def firmware(self, token, **kwargs):
        command = self._command(token, "UpdateFirmware")
        content, filename = command._serve_firmware()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/octet-stream"),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    @http.route(
        "/ocpp/diagnostics/<string:token>",
        type="http",
        auth="public",
        methods=["PUT", "POST"],
        csrf=False,
        save_session=False,
    )
    def diagnostics(self, token, **kwargs):
        command = self._command(token, "GetDiagnostics")
        upload = next(iter(request.httprequest.files.values()), None)
        if upload is not None:
            content, filename = upload.read(), upload.filename
        else:
            content, filename = request.httprequest.get_data(), None
        if not content:
            return request.make_response("empty upload", status=400)
        command._store_diagnostics(content, filename)
        return request.make_response("OK")
