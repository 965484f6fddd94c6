import logging
from datetime import timedelta

import psycopg2
from odoo import api, fields, models
from odoo.addons.arthexis_accounts.models.arthexis_rfid import normalize_uid
from odoo.exceptions import AccessError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

from ..tools import parse_time
from .ocpp_status import CONNECTOR_STATUSES, ERROR_CODES

CONNECTOR_STATUS_VALUES = {value for value, _label in CONNECTOR_STATUSES}
ERROR_CODE_VALUES = {value for value, _label in ERROR_CODES}

_logger = logging.getLogger(__name__)

NODE_SEEN_EVERY = timedelta(seconds=10)

# What an event's data can make applying it raise (a missing key, a wrong type, a
# text where an object belongs, a number too large, a NUL in a text): that event
# is kept with its error.
DATA_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError, ValidationError)

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
        # Heartbeats only move times forward, so they too are applied together.
        bulk = {"meter_values": [], "heartbeat": [], "status": []}
        records = []
        for event in fresh:
            kind = event.get("kind")
            if isinstance(kind, str) and kind in bulk:
                bulk[kind].append(event)
            else:
                records.append(self._apply(event, node))
        records += self._together(self._ingest_heartbeats, bulk["heartbeat"], node)
        records += self._together(self._ingest_statuses, bulk["status"], node)
        meter_values = self.env["ocpp.meter.value"].sudo()._ingest_events
        records += self._together(meter_values, bulk["meter_values"], node)
        Event._record(records)
        # Open charger dashboards reload themselves; they read through access rules.
        self.env["bus.bus"]._sendone(
            self.env.ref("arthexis_nodes.group_charging_user"), "arthexis_ocpp/chargers_changed", {}
        )
        self._touch(node)
        return [event["id"] for event in events]

    @api.model
    def _in_savepoint(self, function, *args):
        """``function(*args)`` in a savepoint: (its result, None), or (None, why) when
        the data it was given made it fail, with all it did rolled back. A
        concurrency error propagates: Odoo retries the whole call."""
        try:
            with self.env.cr.savepoint():
                return function(*args), None
        except psycopg2.Error as error:
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise
            return None, (error.diag.message_primary or str(error)).strip()
        except DATA_ERRORS as error:
            return None, str(error)

    @api.model
    def _together(self, ingest, events, node):
        """Apply events of one kind together (``ingest(events, node)``: their ledger
        values). Should the database refuse the batch (a number too large for its
        column, a NUL character in a text), apply them one at a time, so the bad
        one is kept with its error."""
        if not events:
            return []
        records, why = self._in_savepoint(ingest, events, node)
        if why is None:
            return records
        if len(events) == 1:
            return [self._not_applied(self._ledger_values(events[0], node), why)]
        return [values for event in events for values in self._together(ingest, [event], node)]

    @api.model
    def _not_applied(self, values, why):
        """The ledger values of an event that cannot be applied: kept, with why."""
        uid, kind = values["uid"], values["kind"]
        _logger.warning("bridge event %s (%s) not applied: %s", uid, kind, why)
        values.update(state="error", error=str(why))
        return values

    @api.model
    def _touch(self, node):
        """Note that the node's bridge reached Odoo, at most every NODE_SEEN_EVERY.

        A bridge has several ingest calls in flight at once: each writing the
        node's row would make them fail each other's transactions (serialization
        failures, retried, but wasted work).
        """
        now = fields.Datetime.now()
        if not node or (node.last_seen and now - node.last_seen < NODE_SEEN_EVERY):
            return
        # Skipped, not waited for, when another call holds or just changed the row:
        # two calls touching the node at once must never fail each other's batch.
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    "UPDATE arthexis_node SET last_seen = %s WHERE id IN (SELECT id "
                    "FROM arthexis_node WHERE id = %s AND (last_seen IS NULL OR last_seen < %s) "
                    "FOR UPDATE SKIP LOCKED)",
                    [now, node.id, now - NODE_SEEN_EVERY],
                )
        except psycopg2.errors.SerializationFailure:
            return
        node.invalidate_recordset(["last_seen"])

    @api.model
    def log_frames(self, frames):
        """Store raw frames for the message log (docs/events.md); return the ids recorded."""
        self._check_bridge()
        # sudo: the caller was checked to be a bridge; frames are only appended to the log.
        return self.env["ocpp.message.log"].sudo()._ingest(frames)

    @api.model
    def auth_list(self, since=0):
        """The cards the edge answers for, changed since version ``since`` (0: all).

        Returns {"version": int, "full": bool, "entries": [{"id_tag", "status",
        "expiry_date", "parent_id_tag"}]}; a card archived since then comes back
        with status Invalid. The bridge keeps "version" and asks from there.
        """
        self._check_bridge()
        node = self.env["arthexis.node"]._for_current_bridge()
        # sudo: a bridge reads the cards of its own node's company, nothing else.
        Card = self.env["arthexis.rfid"].sudo().with_context(active_test=False)
        cards = Card.search(
            [
                ("company_id", "=", (node.company_id or self.env.company).id),
                ("auth_version", ">", since or 0),
            ],
            order="auth_version",
        )
        version = max(cards.mapped("auth_version"), default=since or 0)
        if not since:
            cards = cards.filtered("active")  # a full list needs no tombstones
        return {
            "version": version,
            "full": not since,
            "entries": [{"id_tag": card.uid, **card._authorization()} for card in cards],
        }

    @api.model
    def authorize(self, id_tag, concurrent=False):
        """What to tell a charger about a tag the edge's cache does not know.

        ``concurrent``: the bridge uses this answer once and does not cache it, so
        Odoo may answer ConcurrentTx for a card (or group) charging elsewhere.
        """
        self._check_bridge()
        node = self.env["arthexis.node"]._for_current_bridge()
        # sudo: as for auth_list, one card of the bridge's own company.
        card = self._card(node.company_id or self.env.company, id_tag)
        if not card:
            return {"status": "Invalid", "expiry_date": False, "parent_id_tag": False}
        return card._authorization(online=concurrent)

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
    def _chargers_of(self, events):
        """The known chargers of these events, by charge point id, in one query."""
        cp_ids = list({e.get("charger") for e in events if isinstance(e.get("charger"), str)})
        Charger = self.env["ocpp.charger"].sudo().with_context(active_test=False)
        return {c.charge_point_id: c for c in Charger.search([("charge_point_id", "in", cp_ids)])}

    @api.model
    def _ingest_heartbeats(self, events, node):
        """Apply heartbeat events together: one write per charger; return their ledger values."""
        chargers = self._chargers_of(events)
        records = []
        for event in events:
            values = self._ledger_values(event, node)
            try:
                values["event_at"] = parse_time(event.get("at"))
                charger = self._charger_for(event, node, chargers)
                values.update(charger_id=charger.id, company_id=charger.company_id.id)
            except DATA_ERRORS as error:
                self._not_applied(values, error)
            records.append(values)
        self._mark_seen(records, chargers, ("last_heartbeat", "last_seen"))
        return records

    @api.model
    def _ingest_statuses(self, events, node):
        """Apply status events together: each connector takes its newest report.

        A late, older report never hides a newer one. Returns the ledger values.
        """
        chargers = self._chargers_of(events)
        records, newest = [], {}
        for event in events:
            values = self._ledger_values(event, node)
            try:
                at = values["event_at"] = parse_time(event.get("at"))
                data = event.get("data") or {}
                report = self._status_values(data, at)
                charger = self._charger_for(event, node, chargers)
                key = (charger, data["connector_id"])
                if key not in newest or report["status_at"] >= newest[key]["status_at"]:
                    newest[key] = report
                values.update(charger_id=charger.id, company_id=charger.company_id.id)
            except DATA_ERRORS as error:
                self._not_applied(values, error)
            records.append(values)
        for (charger, number), report in newest.items():
            connector = self._connector(charger, number)
            if not connector.status_at or report["status_at"] >= connector.status_at:
                connector.write(report)
        self._mark_seen(records, chargers)
        return records

    @api.model
    def _mark_seen(self, records, chargers, names=("last_seen",)):
        """Move each charger's times forward to its newest applied event: one write each."""
        latest = {}
        for values in records:
            if values["state"] == "done":
                at = values["event_at"]
                latest[values["charger_id"]] = max(at, latest.get(values["charger_id"], at))
        for charger in chargers.values():
            at = latest.get(charger.id)
            changes = {
                name: at for name in names if at and (not charger[name] or at > charger[name])
            }
            if changes:
                charger.write(changes)

    @api.model
    def _status_values(self, data, at):
        """Connector values of a status report; ValueError names what is wrong."""
        if not isinstance(data.get("connector_id"), int) or data["connector_id"] < 0:
            raise ValueError(f"connector_id {data.get('connector_id')!r} is not a connector number")
        if data.get("status") not in CONNECTOR_STATUS_VALUES:
            raise ValueError(f"unknown connector status {data.get('status')!r}")
        error_code = data.get("error_code") or "NoError"
        if error_code not in ERROR_CODE_VALUES:
            raise ValueError(f"unknown error code {error_code!r}")
        return {
            "status": data["status"],
            "error_code": error_code,
            "info": data.get("info"),
            "vendor_id": data.get("vendor_id"),
            "vendor_error_code": data.get("vendor_error_code"),
            "status_at": parse_time(data["timestamp"]) if data.get("timestamp") else at,
        }

    @api.model
    def _apply(self, event, node):
        """Apply one event in its own savepoint; return the ledger values for it."""
        values = self._ledger_values(event, node)
        applied, why = self._in_savepoint(self._apply_one, event, node, values)
        if why is not None:
            # Whatever the savepoint created is gone (a new charger too): link nothing.
            return self._not_applied(values, why)
        values.update(applied)
        return values

    @api.model
    def _apply_one(self, event, node, values):
        """Apply the event; return the records it belongs to, for its ledger row."""
        values["event_at"] = parse_time(event.get("at"))
        handler = getattr(self, f"_ingest_{values['kind']}", None)
        if handler is None:
            raise ValueError(f"unknown event kind {values['kind']!r}")
        if values["kind"] in self._node_event_kinds():
            # About the node itself (its own reader), not a charger.
            handler(node, event.get("data") or {}, values["event_at"])
            return {"company_id": node.company_id.id}
        charger = self._charger_for(event, node)
        charger.last_seen = max(filter(None, [charger.last_seen, values["event_at"]]))
        handler(charger, event.get("data") or {}, values["event_at"])
        return {"charger_id": charger.id, "company_id": charger.company_id.id}

    @api.model
    def _node_event_kinds(self):
        """Event kinds whose handler gets the bridge's node instead of a charger."""
        return set()

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
    def _charger_for(self, event, node, known=None):
        """The event's charger, created if new, following the node that delivered it.

        ``known`` maps charge point ids to chargers already looked up for a batch.
        """
        cp_id = event.get("charger")
        if not isinstance(cp_id, str) or not cp_id:
            raise ValueError("event has no charger id")
        Charger = self.env["ocpp.charger"].sudo().with_context(active_test=False)
        known = {} if known is None else known
        charger = known.get(cp_id) or Charger.search([("charge_point_id", "=", cp_id)], limit=1)
        known[cp_id] = charger
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
            known[cp_id] = charger
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
    def _ingest_security_event(self, charger, data, at):
        # sudo: on the checked bridge's behalf, as every handler; it only appends the event.
        self.env["ocpp.security.event"].sudo()._ingest(charger, data, at)

    @api.model
    def _ingest_transaction_started(self, charger, data, at):
        session = self._session(charger, data["transaction_id"])
        decision = data.get("decision") or {}
        values = {
            "connector_id": self._connector(charger, data["connector_id"]).id,
            "id_tag": data.get("id_tag"),
            "rfid_id": self._card(charger.company_id, data.get("id_tag")).id,
            "meter_start": data["meter_start"],
            "start_time": parse_time(data["timestamp"]) if data.get("timestamp") else at,
            "reservation_number": data.get("reservation_id") or 0,
            "auth_status": decision.get("status"),
            "auth_source": self._auth_source(decision.get("source")),
        }
        values.update(self._anomaly_values(data))
        if session and session.start_time and session.start_time != values["start_time"]:
            # The id was given before, to a session that started at another time: the
            # bridge lost its data and counts again. Never merge into the old session.
            self._retire(session)
            session = session.browse()
        if session:
            # A start repeated after a reconnect: the same session, not a second one.
            session.write(values)
        else:
            self._create_session(charger, data["transaction_id"], values)

    @api.model
    def _auth_source(self, source):
        """The session's "decided by", if Odoo lists the bridge's source (a newer bridge
        may know more, such as free_vend); the ledger keeps the event as sent."""
        known = dict(self.env["ocpp.transaction"]._fields["auth_source"].selection)
        return source if source in known else False

    @api.model
    def _retire(self, session):
        """Free a transaction id a bridge reused: the old session keeps its data under
        "<id>/old-<record id>", and the id's later events go to the new session."""
        _logger.warning(
            "charger %s reused transaction id %s (session %s started %s): kept apart",
            session.charger_id.charge_point_id,
            session.transaction_id,
            session.id,
            session.start_time,
        )
        session.transaction_id = f"{session.transaction_id}/old-{session.id}"
        session.flush_recordset(["transaction_id"])  # before the new session's INSERT

    @api.model
    def transaction_floor(self):
        """The highest transaction id Odoo holds for the calling bridge's node (0: none).

        A bridge raises its counter above it at start, so that it never gives an id
        twice even when its data directory was lost.
        """
        self._check_bridge()
        node = self.env["arthexis.node"]._for_current_bridge()
        if not node:
            return 0
        self.env["ocpp.transaction"].flush_model(["transaction_id", "node_id"])
        # Ids are text in Odoo (not every protocol's are numbers): the numeric ones count.
        self.env.cr.execute(
            "SELECT max(transaction_id::bigint) FROM ocpp_transaction "
            "WHERE node_id = %s AND transaction_id ~ '^[0-9]{1,18}$'",
            [node.id],
        )
        return self.env.cr.fetchone()[0] or 0

    @api.model
    def _ingest_transaction_stopped(self, charger, data, at):
        session = self._session(charger, data["transaction_id"])
        if not session:
            session = self._create_session(
                charger,
                data["transaction_id"],
                {
                    "id_tag": data.get("id_tag"),
                    "rfid_id": self._card(charger.company_id, data.get("id_tag")).id,
                },
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
    def _card(self, company, id_tag):
        """The card of this company behind an id tag, if Odoo knows it (sudo)."""
        Card = self.env["arthexis.rfid"].sudo().with_context(active_test=False)
        if not id_tag:
            return Card
        return Card.search(
            [("uid", "=", normalize_uid(id_tag)), ("company_id", "=", company.id)],
            limit=1,
        )

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
