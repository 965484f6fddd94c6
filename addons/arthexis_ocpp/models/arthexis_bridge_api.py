import logging
from datetime import datetime, timezone

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

_logger = logging.getLogger(__name__)

BOOT_FIELDS = (
    "vendor",
    "model",
    "serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
)


def parse_time(value):
    """An ISO 8601 time from the bridge or a charger, as Odoo's naive UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(f"time {value!r} is not an ISO 8601 string")
    if value[-1:] in ("Z", "z"):  # Python 3.10's fromisoformat does not read "Z"
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class ArthexisBridgeApi(models.AbstractModel):
    """The one API edge bridges call (docs/events.md in the repository).

    Bridge users belong to a group that has no access rights of its own: every
    method checks that group, then works in sudo on the bridge's behalf.
    """

    _name = "arthexis.bridge.api"
    _description = "Edge Bridge API"

    @api.model
    def _check_bridge(self):
        if not self.env.user.has_group("arthexis_nodes.group_bridge"):
            raise AccessError(self.env._("Only edge bridge users may call the bridge API."))

    @api.model
    def ingest(self, events):
        """Apply a batch of bridge events; return the ids now durably recorded.

        Idempotent by event id: an id seen before is confirmed again and changes
        nothing. An event that cannot be applied is recorded with its error and
        confirmed too, so one bad event never blocks a bridge's outbox.
        """
        self._check_bridge()
        if not isinstance(events, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"] for e in events
        ):
            raise ValidationError(
                self.env._("ingest expects a list of events, each a dict with a string 'id'.")
            )
        node = self.env["arthexis.node"]._for_current_bridge()
        # sudo: the caller was checked to be a bridge; it may write charging data only
        # through this method, which applies the events' facts and nothing else.
        Event = self.env["ocpp.event"].sudo()
        seen = set(Event.search([("uid", "in", [e["id"] for e in events])]).mapped("uid"))
        confirmed, records = [], []
        for event in events:
            uid = event["id"]
            if uid not in seen:
                records.append(self._apply(event, node))
                seen.add(uid)
            confirmed.append(uid)
        Event.create(records)
        if node:
            node.sudo().last_seen = fields.Datetime.now()
        return confirmed

    @api.model
    def _apply(self, event, node):
        """Apply one event in its own savepoint; return the ledger values for it."""
        values = {
            "uid": event["id"],
            "kind": str(event.get("kind") or "?"),
            "charge_point_id": event.get("charger"),
            "protocol": event.get("protocol"),
            "node_id": node.id,
            "payload": event,
            "state": "done",
        }
        try:
            with self.env.cr.savepoint():
                values["event_at"] = parse_time(event.get("at"))
                handler = getattr(self, f"_ingest_{values['kind']}", None)
                if handler is None:
                    raise ValueError(f"unknown event kind {values['kind']!r}")
                charger = self._charger_for(event, node)
                charger.last_seen = max(filter(None, [charger.last_seen, values["event_at"]]))
                handler(charger, event.get("data") or {}, values["event_at"])
                values.update(charger_id=charger.id, company_id=charger.company_id.id)
        except (ValueError, TypeError, KeyError, ValidationError) as error:
            _logger.warning(
                "bridge event %s (%s) not applied: %s", values["uid"], values["kind"], error
            )
            values.update(state="error", error=str(error))
        return values

    @api.model
    def _charger_for(self, event, node):
        cp_id = event.get("charger")
        if not isinstance(cp_id, str) or not cp_id:
            raise ValueError("event has no charger id")
        Charger = self.env["ocpp.charger"].sudo().with_context(active_test=False)
        charger = Charger.search([("charge_point_id", "=", cp_id)], limit=1)
        if not charger:
            charger = Charger.create(
                {
                    "charge_point_id": cp_id,
                    "node_id": node.id,
                    "company_id": (node.company_id or self.env.company).id,
                }
            )
        elif node and charger.node_id != node:
            charger.node_id = node
        if event.get("protocol") and charger.protocol != event["protocol"]:
            charger.protocol = event["protocol"]
        return charger

    @api.model
    def _ingest_boot(self, charger, data, at):
        values = {name: data[name] for name in BOOT_FIELDS if name in data}
        values["last_boot"] = at
        charger.write(values)

    @api.model
    def _ingest_heartbeat(self, charger, data, at):
        if not charger.last_heartbeat or at > charger.last_heartbeat:
            charger.last_heartbeat = at

    @api.model
    def _ingest_status(self, charger, data, at):
        number = data["connector_id"]
        if not isinstance(number, int):
            raise TypeError(f"connector_id {number!r} is not an integer")
        status_at = parse_time(data["timestamp"]) if data.get("timestamp") else at
        Connector = self.env["ocpp.connector"].sudo()
        connector = Connector.search(
            [("charger_id", "=", charger.id), ("connector_number", "=", number)]
        )
        if not connector:
            connector = Connector.create({"charger_id": charger.id, "connector_number": number})
        elif connector.status_at and status_at < connector.status_at:
            return  # an older report arriving late must not hide the newer one
        connector.write(
            {
                "status": data["status"],
                "error_code": data.get("error_code") or "NoError",
                "info": data.get("info"),
                "vendor_id": data.get("vendor_id"),
                "vendor_error_code": data.get("vendor_error_code"),
                "status_at": status_at,
            }
        )
