from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BridgeCase

ACCEPTED = {"status": "Accepted", "source": "cache"}
SAMPLE = {"timestamp": "2026-11-22T10:05:00Z", "value": "1500", "unit": "Wh"}

# A well-formed event of each kind (docs/events.md); each field is then spoiled in turn.
VALID = {
    "boot": {"registration": "Accepted", "vendor": "ABB", "model": "Terra", "serial_number": "1"},
    "heartbeat": {},
    "status": {"connector_id": 1, "status": "Available", "error_code": "NoError", "info": "ok"},
    "authorize": {"id_tag": "04A2B3C4", "decision": ACCEPTED},
    "transaction_started": {
        "transaction_id": "900",
        "connector_id": 1,
        "id_tag": "04A2B3C4",
        "meter_start": 1000,
        "timestamp": "2026-11-22T10:00:00Z",
        "reservation_id": 7,
        "decision": ACCEPTED,
    },
    "meter_values": {"connector_id": 1, "transaction_id": "900", "samples": [SAMPLE]},
    "transaction_stopped": {
        "transaction_id": "900",
        "meter_stop": 2500,
        "timestamp": "2026-11-22T11:00:00Z",
        "reason": "Local",
        "id_tag": "04A2B3C4",
        "samples": [SAMPLE],
    },
    "data_transfer": {"vendor_id": "ABB", "message_id": "m", "data": "x", "status": "Accepted"},
    "diagnostics_status": {"status": "Uploaded"},
    "firmware_status": {"status": "Installed"},
    "security_event": {"type": "TamperDetectionActivated", "timestamp": "2026-11-22T10:00:00Z"},
}

# What a buggy bridge, another client or a future version might put in a field.
SPOILERS = [
    None,
    "",
    "x" * 5000,
    3_000_000_000,
    2**63,
    -1,
    1.5,
    float("inf"),
    True,
    [],
    {},
    [{"value": None}],
    "0001-01-01T00:00:00Z",
    "2026-13-45T99:00:00Z",
]


@tagged("post_install", "-at_install")
class TestIngestRobustness(BridgeCase):
    """Whatever an event holds, ingest confirms it, keeps it in the ledger (applied or
    with its error) and applies the rest of the batch: a bridge's outbox never stalls."""

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api", "odoo.sql_db")
    def test_every_field_of_every_kind_spoiled_in_turn_blocks_nothing(self):
        for kind, valid in VALID.items():
            batch = []
            for field in [*valid, "unexpected"]:
                for spoiler in SPOILERS:
                    batch.append(self.event(kind, **{**valid, field: spoiler}))
            batch.append(self.event(kind, **valid))
            good = self.event("heartbeat", charger="CP-GOOD")
            batch.append(good)
            # A savepoint each: one kind's failure must not hide the next kind's.
            with self.subTest(kind=kind), self.env.cr.savepoint():
                self.assertEqual(self.api.ingest(batch), [e["id"] for e in batch])
                Event = self.env["ocpp.event"]
                self.assertEqual(
                    Event.search_count([("uid", "in", [e["id"] for e in batch])]), len(batch)
                )
                self.assertEqual(Event.search([("uid", "=", good["id"])]).state, "done")

    @mute_logger("odoo.addons.arthexis_ocpp.models.arthexis_bridge_api", "odoo.sql_db")
    def test_an_event_that_is_not_an_object_of_known_shape_is_kept_as_an_error(self):
        odd = [
            {"id": "odd-1"},
            {
                "id": "odd-2",
                "kind": "status",
                "data": "not an object",
                "at": "2026-11-22T10:00:00Z",
            },
            {"id": "odd-3", "kind": ["status"], "charger": 17, "at": None, "data": {}},
            {"id": "odd-4", "kind": "boot", "charger": "x" * 300, "at": "2026-11-22T10:00:00Z"},
        ]
        self.assertEqual(self.api.ingest(odd), [e["id"] for e in odd])
        ledger = self.env["ocpp.event"].search([("uid", "in", [e["id"] for e in odd])])
        self.assertEqual(len(ledger), len(odd))
