from odoo import api, models
from odoo.addons.arthexis_accounts.models.arthexis_rfid import UID_LENGTHS, normalize_uid

CARD_SCANNED = "card_scanned"


class ArthexisBridgeApi(models.AbstractModel):
    """``card_scanned``: a card held to the node's own reader in staff mode.

    The event has no charger: the node itself read the card. It is recorded on
    the node (docs/events.md), where staff open or create the card.
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
        node.sudo()._record_card_scan(uid, at)
