import math

from odoo import api, fields, models

from ..tools import insert_rows, parse_time
from .arthexis_bridge_api import DATA_ERRORS

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
# Units the bridge may report energy and power in, as factors to Wh and W.
TO_BASE_UNIT = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0}
COLUMNS = (
    "transaction_id",
    "charger_id",
    "connector_number",
    "company_id",
    "timestamp",
    "measurand",
    "value",
    "raw_value",
    "unit",
    "phase",
    "context",
    "location",
)


class OcppMeterValue(models.Model):
    """One sampled value a charger reported: a measurand at a time."""

    _name = "ocpp.meter.value"
    _description = "Meter Value"
    _order = "timestamp desc, id desc"
    _log_access = False  # millions of rows: who wrote a sample is always the bridge

    transaction_id = fields.Many2one(
        "ocpp.transaction", string="Session", index=True, ondelete="cascade"
    )
    charger_id = fields.Many2one("ocpp.charger", required=True, index=True, ondelete="cascade")
    connector_number = fields.Integer("Connector")
    company_id = fields.Many2one("res.company", index=True)
    timestamp = fields.Datetime(required=True, index=True)
    measurand = fields.Char(required=True, default=ENERGY_REGISTER)
    value = fields.Float(digits=(16, 3), help="The value as a number, in its unit.")
    raw_value = fields.Char(help="The value as sent, kept when it is not a number (signed data).")
    unit = fields.Char(default="Wh")
    phase = fields.Char()
    context = fields.Char()
    location = fields.Char()

    @api.model
    def _rows(self, charger, session, connector_number, samples, at):
        """Rows for samples of one event; raises ValueError/KeyError/TypeError if malformed."""
        return _sample_rows(_row_base(charger, session, connector_number), samples, at)

    @api.model
    def _store(self, charger, session, connector_number, samples, at):
        """Store one event's samples and keep its session's live energy and power."""
        rows = self._rows(charger, session, connector_number, samples, at)
        self._insert(rows)
        self._update_sessions(rows)

    @api.model
    def _ingest_events(self, events, node):
        """Apply meter_values events in bulk; return their ledger values.

        The hot path of ingestion: one INSERT for all samples of the batch and
        one update per session, instead of ORM records event by event.
        """
        if not events:
            return []
        Api = self.env["arthexis.bridge.api"]
        Session = self.env["ocpp.transaction"]
        chargers = Api._chargers_of(events)
        wanted = {str(e["data"]["transaction_id"]) for e in events if _tx(e)}
        sessions = {
            (s.charger_id.id, s.transaction_id): s
            for s in Session.search(
                [
                    ("charger_id", "in", [c.id for c in chargers.values()]),
                    ("transaction_id", "in", list(wanted)),
                ]
            )
        }
        rows, records = [], []
        # Per charger (and session), what every event of it shares, looked up once:
        # ORM field reads cost more than the rest of an event's work.
        bases, found = {}, {}
        for event in events:
            values = Api._ledger_values(event, node)
            try:
                at = values["event_at"] = parse_time(event.get("at"))
                data = event.get("data") or {}
                key = (event.get("charger"), event.get("protocol"))
                if key not in found:
                    charger = Api._charger_for(event, node, chargers)
                    found[key] = (charger, charger.id, charger.company_id.id)
                charger, charger_id, company_id = found[key]
                base_key = (charger_id, str(_tx(event)), data.get("connector_id"))
                if base_key not in bases:
                    session = sessions.get(base_key[:2]) or Session
                    bases[base_key] = _row_base(charger, session, data.get("connector_id"))
                rows += _sample_rows(bases[base_key], data["samples"], at)
                # Applied samples live in ocpp.meter.value: the ledger need not copy them.
                values.update(charger_id=charger_id, company_id=company_id, payload=None)
            except DATA_ERRORS as error:
                Api._not_applied(values, error)
            records.append(values)
        self._insert(rows)
        self._update_sessions(rows)
        Api._mark_seen(records, chargers)
        return records

    @api.model
    def _insert(self, rows):
        insert_rows(self.env, self._table, COLUMNS, rows)
        self.env["ocpp.transaction"].invalidate_model(["meter_value_ids"])
        self.invalidate_model()

    @api.model
    def _update_sessions(self, rows):
        """Keep each session's latest energy register and power (whole-meter values only)."""
        live = {}
        for row in sorted(rows, key=lambda r: r["timestamp"]):
            factor = TO_BASE_UNIT.get(row["unit"])
            if not row["transaction_id"] or factor is None or row["phase"] or row["value"] is None:
                continue  # per-phase, unknown-unit or non-numeric values make no totals
            if row["measurand"] == ENERGY_REGISTER:
                live.setdefault(row["transaction_id"], {})["meter_last"] = row["value"] * factor
            elif row["measurand"] == ACTIVE_POWER:
                live.setdefault(row["transaction_id"], {})["power_w"] = row["value"] * factor
        Session = self.env["ocpp.transaction"]
        for session_id, values in live.items():
            Session.browse(session_id).write(values)


def _tx(event):
    data = event.get("data")
    return data.get("transaction_id") if isinstance(data, dict) else None


def _row_base(charger, session, connector_number):
    """What the rows of one charger's connector and session share."""
    return {
        "transaction_id": session.id or None,
        "charger_id": charger.id,
        "connector_number": connector_number or 0,
        "company_id": charger.company_id.id,
    }


def _sample_rows(base, samples, at):
    """A row per sample, on ``base``; raises ValueError/KeyError/TypeError if malformed."""
    rows = []
    for sample in samples or []:
        raw = sample["value"]
        try:
            number = float(raw)
        except (TypeError, ValueError):
            number = None
        if sample.get("format") == "SignedData" or not math.isfinite(number or 0):
            number = None  # not a reading (signed data, NaN, 1e400): the raw value counts
        measurand = sample.get("measurand") or ENERGY_REGISTER
        rows.append(
            {
                **base,
                "timestamp": parse_time(sample["timestamp"]) if sample.get("timestamp") else at,
                "measurand": measurand,
                "value": number,
                "raw_value": str(raw),
                "unit": sample.get("unit") or ("Wh" if measurand.startswith("Energy.") else None),
                "phase": sample.get("phase"),
                "context": sample.get("context"),
                "location": sample.get("location"),
            }
        )
    return rows
