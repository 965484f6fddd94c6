import json
import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import insert_rows, parse_time

_logger = logging.getLogger(__name__)

COLUMNS = (
    "uid",
    "charge_point_id",
    "charger_id",
    "company_id",
    "direction",
    "at",
    "action",
    "message_id",
    "frame",
)


def describe(frame):
    """(action, message id) of a raw OCPP frame, as far as it can be read."""
    try:
        message = json.loads(frame)
    except ValueError:
        return "(not JSON)", None
    if not isinstance(message, list) or len(message) < 2:
        return "(not OCPP)", None
    kind, message_id = message[0], str(message[1])
    if kind == 2 and len(message) > 2:
        return str(message[2]), message_id
    if kind == 3:
        return "(result)", message_id
    if kind == 4 and len(message) > 2:
        return f"(error: {message[2]})", message_id
    return "(not OCPP)", message_id


class OcppMessageLog(models.Model):
    """A raw OCPP frame that crossed a charger's socket, for troubleshooting.

    Bounded by age and by count per charger (Settings > Charging), pruned by a
    scheduled action.
    """

    _name = "ocpp.message.log"
    _description = "OCPP Message Log"
    _order = "at desc, id desc"
    _log_access = False  # bridges write millions of these; who wrote one is always the bridge
    _rec_name = "action"

    uid = fields.Char("Frame ID", required=True, readonly=True)
    charge_point_id = fields.Char("Charge point ID", required=True, readonly=True, index=True)
    charger_id = fields.Many2one("ocpp.charger", readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    direction = fields.Selection(
        [("in", "Charger → bridge"), ("out", "Bridge → charger")], required=True, readonly=True
    )
    at = fields.Datetime(required=True, readonly=True, index=True)
    action = fields.Char(readonly=True, index=True)
    message_id = fields.Char("Message ID", readonly=True, index=True)
    frame = fields.Text(readonly=True)

    _sql_constraints = [("uid_unique", "unique(uid)", "A frame is logged once.")]

    @api.model
    def _ingest(self, frames):
        """Store frames from a bridge; return the ids now recorded (new or seen before)."""
        if not isinstance(frames, list) or not all(
            isinstance(f, dict) and isinstance(f.get("id"), str) and f["id"] for f in frames
        ):
            raise ValidationError(
                self.env._("log_frames expects a list of frames, each a dict with a string 'id'.")
            )
        seen = set(self.search([("uid", "in", [f["id"] for f in frames])]).mapped("uid"))
        cp_ids = list({f.get("charger") for f in frames if isinstance(f.get("charger"), str)})
        # Frames never create chargers: a charger is born from its boot event, with
        # the registration its bridge answered. Until then a frame keeps only the id.
        chargers = {
            c.charge_point_id: c
            for c in self.env["ocpp.charger"]
            .with_context(active_test=False)
            .search([("charge_point_id", "in", cp_ids)])
        }
        rows = []
        for frame in frames:
            if frame["id"] in seen:
                continue
            seen.add(frame["id"])
            try:
                text = str(frame["frame"]).replace("\x00", "\ufffd")  # text cannot hold NUL
                action, message_id = describe(text)
                charger = chargers.get(frame["charger"]) or self.env["ocpp.charger"]
                if frame.get("direction") not in ("in", "out"):
                    raise ValueError(f"direction {frame.get('direction')!r} is not in or out")
                rows.append(
                    {
                        "uid": frame["id"],
                        "charge_point_id": str(frame["charger"]),
                        "charger_id": charger.id or None,
                        "company_id": charger.company_id.id or None,
                        "direction": frame["direction"],
                        "at": parse_time(frame["at"]),
                        "action": action,
                        "message_id": message_id,
                        "frame": text,
                    }
                )
            except (KeyError, TypeError, ValueError) as error:
                # A frame is troubleshooting data, not a fact: drop it, but say so.
                _logger.warning("frame %s not logged: %s", frame["id"], error)
        insert_rows(self.env, self._table, COLUMNS, rows)
        self.invalidate_model()
        return [frame["id"] for frame in frames]

    @api.model
    def _cron_prune(self):
        """Keep the log within its age and per-charger limits (Settings > Charging)."""
        params = self.env["ir.config_parameter"].sudo()
        days = int(params.get_param("arthexis_ocpp.message_log_days", 7))
        per_charger = int(params.get_param("arthexis_ocpp.message_log_per_charger", 2000))
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM ocpp_message_log "
            "WHERE at < (now() at time zone 'UTC') - %s * interval '1 day'",
            [days],
        )
        aged = self.env.cr.rowcount
        self.env.cr.execute(
            """
            DELETE FROM ocpp_message_log WHERE id IN (
                SELECT id FROM (
                    SELECT id, row_number() OVER (
                        PARTITION BY charge_point_id ORDER BY at DESC, id DESC
                    ) AS rank
                    FROM ocpp_message_log
                ) ranked WHERE rank > %s
            )
            """,
            [per_charger],
        )
        _logger.info(
            "message log: pruned %s frames by age, %s by count", aged, self.env.cr.rowcount
        )
        self.invalidate_model()
