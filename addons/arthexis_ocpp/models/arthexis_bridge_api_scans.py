from odoo import api, models
from odoo.addons.arthexis_accounts.models.arthexis_rfid import UID_LENGTHS, normalize_uid

CARD_SCANNED = "card_scanned"
KIOSK_OFFLINE = "ChargerOffline"  # the bridge's kiosk: its charger was not connected


class ArthexisBridgeApi(models.AbstractModel):
    """``card_scanned``: a card held to the node's own reader (staff or kiosk mode).

    The event has no charger: the node itself read the card. It is recorded on
    the node (docs/events.md), where staff open or create the card. A kiosk tap
    also says what the bridge asked of the kiosk charger and its answer.
    """

    _inherit = "arthexis.bridge.api"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _node_event_kinds(self):
        return super()._node_event_kinds() | {CARD_SCANNED}

    def _ingest_card_scanned(self, node, data, at):
        if not node:
            raise ValueError("card_scanned comes from a node's bridge user")
        raw = data.get("uid")
        uid = normalize_uid(raw if isinstance(raw, str) else "")
        if len(uid) not in UID_LENGTHS or not all(c in "0123456789ABCDEF" for c in uid):
            raise ValueError(f"{raw!r} is not a card UID (8, 14 or 20 hex digits)")
        # sudo: the caller was checked to be this node's bridge; only the node's
        # last-scan fields are written.
        node.sudo()._record_card_scan(uid, at, self._scan_result(data))

    @api.model
    def _scan_result(self, data):
        """One line for staff: the edge's decision, and the kiosk's command and answer."""
        decision = data.get("decision") if isinstance(data.get("decision"), dict) else {}
        result = str(decision.get("status") or "")
        kiosk = data.get("kiosk")
        if isinstance(kiosk, dict) and kiosk.get("action"):
            result = self.env._(
                "%(decision)s; %(action)s on %(charger)s: %(status)s",
                decision=result,
                action=kiosk["action"],
                charger=kiosk.get("charger"),
                status=kiosk.get("status"),
            )
        elif isinstance(kiosk, dict) and kiosk.get("status") == KIOSK_OFFLINE:
            result = self.env._(
                "%(decision)s; %(charger)s was offline: nothing sent",
                decision=result,
                charger=kiosk.get("charger"),
            )
        elif isinstance(kiosk, dict):
            result = self.env._(
                "%(decision)s; nothing sent to %(charger)s",
                decision=result,
                charger=kiosk.get("charger"),
            )
        return result[:200] or False
