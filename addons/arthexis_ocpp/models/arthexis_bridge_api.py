import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..tools import parse_time

_logger = logging.getLogger(__name__)

REGISTRATION = {"Accepted": "accepted", "Pending": "pending", "Rejected": "rejected"}

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
        fresh = []
        for event in events:
            if event["id"] not in seen:
                fresh.append(event)
                seen.add(event["id"])
        # Meter values are most of the traffic: they take a bulk path. Nothing else
        # depends on them, so applying them after the other events keeps every
        # charger's facts in order (a session starts before its samples land).
        samples = [e for e in fresh if e.get("kind") == "meter_values"]
        records = [self._apply(e, node) for e in fresh if e.get("kind") != "meter_values"]
        records += self.env["ocpp.meter.value"].sudo()._ingest_events(samples, node)
        Event._record(records)
        # Open charger dashboards reload themselves; they read through access rules.
        self.env["bus.bus"]._sendone(
            self.env.ref("arthexis_nodes.group_charging_user"), "arthexis_ocpp/chargers_changed", {}
        )
        if node:
            node.sudo().last_seen = fields.Datetime.now()
        return [event["id"] for event in events]

    @api.model
    def chargers(self):
        """The chargers this bridge's node serves, with what the edge needs of them.

        Each: charge_point_id, registration (Accepted, Pending, Rejected), the
        password hash for security profile 1 (False when none is set) and
        require_rfid.
        """
        self._check_bridge()
        node = self.env["arthexis.node"]._for_current_bridge()
        if not node:
            return []
        answer = {state: word for word, state in REGISTRATION.items()}
        # sudo: a bridge reads its own node's chargers, password hashes included, to
        # authenticate them at the edge; it gets nothing of other nodes.
        chargers = self.env["ocpp.charger"].sudo().search([("node_id", "=", node.id)])
        return [
            {
                "charge_point_id": charger.charge_point_id,
                "registration": answer[charger.registration_state],
                "password_hash": charger.password_hash or False,
                "require_rfid": charger.require_rfid,
            }
            for charger in chargers
        ]

    @api.model
    def _apply(self, event, node):
        """Apply one event in its own savepoint; return the ledger values for it."""
        values = self._ledger_values(event, node)
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
    def _ledger_values(self, event, node):
        """What ocpp.event keeps of an event, before it is applied."""
        return {
            "uid": event["id"],
            "kind": str(event.get("kind") or "?"),
            "charge_point_id": event.get("charger"),
            "protocol": event.get("protocol"),
            "node_id": node.id,
            "payload": event,
            "state": "done",
        }

    @api.model
    def _charger_for(self, event, node):
        cp_id = event.get("charger")
        if not isinstance(cp_id, str) or not cp_id:
            raise ValueError("event has no charger id")
        Charger = self.env["ocpp.charger"].sudo().with_context(active_test=False)
        charger = Charger.search([("charge_point_id", "=", cp_id)], limit=1)
        if not charger:
            # The bridge says what it answered a charger it did not know (pending
            # or accepted, by its unknown-charger policy); staff decide from there.
            answered = (event.get("data") or {}).get("registration")
            charger = Charger.create(
                {
                    "charge_point_id": cp_id,
                    "node_id": node.id,
                    "company_id": (node.company_id or self.env.company).id,
                    "registration_state": REGISTRATION.get(answered, "accepted"),
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
        status_at = parse_time(data["timestamp"]) if data.get("timestamp") else at
        connector = self._connector(charger, number)
        if connector.status_at and status_at < connector.status_at:
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

    @api.model
    def _ingest_authorize(self, charger, data, at):
        """Nothing to change: the ledger keeps who tapped and what the edge answered."""

    @api.model
    def _ingest_data_transfer(self, charger, data, at):
        """Kept in the ledger only: no vendor extension is understood yet."""

    @api.model
    def _ingest_firmware_status(self, charger, data, at):
        charger.write({"firmware_status": data["status"], "firmware_status_at": at})

    @api.model
    def _ingest_diagnostics_status(self, charger, data, at):
        charger.write({"diagnostics_status": data["status"], "diagnostics_status_at": at})

    @api.model
    def _ingest_transaction_started(self, charger, data, at):
        session = self._session(charger, data["transaction_id"])
        decision = data.get("decision") or {}
        values = {
            "connector_id": self._connector(charger, data["connector_id"]).id,
            "id_tag": data.get("id_tag"),
            "meter_start": data["meter_start"],
            "start_time": parse_time(data["timestamp"]) if data.get("timestamp") else at,
            "reservation_number": data.get("reservation_id") or 0,
            "auth_status": decision.get("status"),
            "auth_source": decision.get("source"),
        }
        values.update(self._anomaly_values(data))
        if session:
            # A start repeated after a reconnect: the same session, not a second one.
            session.write(values)
        else:
            self._create_session(charger, data["transaction_id"], values)

    @api.model
    def _ingest_transaction_stopped(self, charger, data, at):
        session = self._session(charger, data["transaction_id"])
        if not session:
            session = self._create_session(
                charger, data["transaction_id"], {"id_tag": data.get("id_tag")}
            )
        connector_number = session.connector_id.connector_number
        self.env["ocpp.meter.value"].sudo()._store(
            charger, session, connector_number, data.get("samples"), at
        )
        values = {
            "meter_stop": data["meter_stop"],
            "stop_time": parse_time(data["timestamp"]) if data.get("timestamp") else at,
            "stop_reason": data.get("reason") or "Local",
            "state": "completed",
        }
        values.update(self._anomaly_values(data))
        if session.start_time and data["meter_stop"] < session.meter_start:
            values.update(
                anomaly="meter_backwards",
                anomaly_detail=self.env._(
                    "Meter stop %(stop)s Wh is below meter start %(start)s Wh.",
                    stop=data["meter_stop"],
                    start=session.meter_start,
                ),
            )
        if values.get("anomaly") or session.anomaly:
            values["state"] = "anomalous"
        session.write(values)

    @api.model
    def _session(self, charger, transaction_id):
        if transaction_id in (None, ""):
            return self.env["ocpp.transaction"]
        return (
            self.env["ocpp.transaction"]
            .sudo()
            .search(
                [("charger_id", "=", charger.id), ("transaction_id", "=", str(transaction_id))],
                limit=1,
            )
        )

    @api.model
    def _create_session(self, charger, transaction_id, values):
        return (
            self.env["ocpp.transaction"]
            .sudo()
            .create(
                {
                    "charger_id": charger.id,
                    "transaction_id": str(transaction_id),
                    "node_id": charger.node_id.id,
                    **values,
                }
            )
        )

    @api.model
    def _connector(self, charger, number):
        if not isinstance(number, int):
            raise TypeError(f"connector_id {number!r} is not an integer")
        Connector = self.env["ocpp.connector"].sudo()
        connector = Connector.search(
            [("charger_id", "=", charger.id), ("connector_number", "=", number)]
        )
        return connector or Connector.create({"charger_id": charger.id, "connector_number": number})

    @api.model
    def _anomaly_values(self, data):
        anomaly = data.get("anomaly")
        if not anomaly:
            return {}
        return {"anomaly": anomaly["code"], "anomaly_detail": anomaly.get("detail")}
