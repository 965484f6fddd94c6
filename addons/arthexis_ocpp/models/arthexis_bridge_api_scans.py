import logging

from odoo import api, models
from odoo.addons.arthexis_accounts.models.arthexis_rfid import UID_LENGTHS, normalize_uid
from odoo.exceptions import ValidationError

from ..tools import parse_time

_logger = logging.getLogger(__name__)

CARD_SCANNED = "card_scanned"


class ArthexisBridgeApi(models.AbstractModel):
    """``card_scanned``: a card held to the node's own reader in staff mode.

    The event has no charger: the node itself read the card. It is recorded on
    the node (docs/events.md), where staff open or create the card.
    """

    _inherit = "arthexis.bridge.api"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _apply(self, event, node):
        if event.get("kind") != CARD_SCANNED:
            return super()._apply(event, node)
        values = self._ledger_values(event, node)
        try:
            with self.env.cr.savepoint():
                values["event_at"] = parse_time(event.get("at"))
                if not node:
                    raise ValueError("card_scanned comes from a node's bridge user")
                raw = (event.get("data") or {}).get("uid")
                uid = normalize_uid(raw if isinstance(raw, str) else "")
                if len(uid) not in UID_LENGTHS or not all(c in "0123456789ABCDEF" for c in uid):
                    raise ValueError(f"{raw!r} is not a card UID (8, 14 or 20 hex digits)")
                # sudo: the caller was checked to be this node's bridge; only the
                # node's last-scan fields are written.
                node.sudo()._record_card_scan(uid, values["event_at"])
                values["company_id"] = node.company_id.id
        except (ValueError, TypeError, ValidationError) as error:
            _logger.warning(
                "bridge event %s (%s) not applied: %s", values["uid"], values["kind"], error
            )
            values.update(state="error", error=str(error))
        return values
