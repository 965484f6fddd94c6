from odoo import models


class ArthexisRfid(models.Model):
    _inherit = "arthexis.rfid"

    def _authorization(self, now=None, online=False):
        """ConcurrentTx, for online answers only: a cached one would go stale."""
        answer = super()._authorization(now=now, online=online)
        if online and answer["status"] == "Accepted" and self._charging_now():
            answer["status"] = "ConcurrentTx"
        return answer

    def _charging_now(self):
        """Whether this card, or a card of its group, is in an active session (sudo).

        A session the edge refused (a charger may run one on a refused start until
        it stops it) does not count: it would make the card refuse itself.
        """
        self.ensure_one()
        group = self.parent_id or self
        return bool(
            self.env["ocpp.transaction"]
            .sudo()
            .search_count(
                [
                    ("state", "=", "active"),
                    ("auth_status", "in", [False, "Accepted"]),
                    "|",
                    ("rfid_id", "=", group.id),
                    ("rfid_id.parent_id", "=", group.id),
                ],
                limit=1,
            )
        )
