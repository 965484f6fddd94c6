from odoo import api, fields, models


class ArthexisNode(models.Model):
    """The last card scanned at a node's own RFID reader, for staff to enrol it."""

    _inherit = "arthexis.node"  # pylint: disable=consider-merging-classes-inherited

    last_scanned_uid = fields.Char(
        "Last scanned card UID",
        readonly=True,
        copy=False,
        help="The UID of the last card held to this node's reader while it is in staff mode.",
    )
    last_scanned_at = fields.Datetime("Scanned at", readonly=True, copy=False)
    last_scan_result = fields.Char(
        "Scan result",
        readonly=True,
        copy=False,
        help="What the edge answered for the card and, in kiosk mode, what the charger "
        "said to the remote start or stop the tap sent.",
    )
    last_scanned_card_id = fields.Many2one(
        "arthexis.rfid",
        string="Scanned card",
        compute="_compute_last_scanned_card_id",
        help="The card with that UID, if it is already known.",
    )

    @api.depends("last_scanned_uid", "company_id")
    def _compute_last_scanned_card_id(self):
        Card = self.env["arthexis.rfid"].with_context(active_test=False)
        for node in self:
            node.last_scanned_card_id = node.last_scanned_uid and Card.search(
                [("uid", "=", node.last_scanned_uid), ("company_id", "=", node.company_id.id)],
                limit=1,
            )

    def _record_card_scan(self, uid, at, result=False):
        """Keep the scan unless a later one is already recorded (events may arrive late)."""
        for node in self:
            if not node.last_scanned_at or at >= node.last_scanned_at:
                node.write(
                    {"last_scanned_uid": uid, "last_scanned_at": at, "last_scan_result": result}
                )

    def action_open_scanned_card(self):
        """Open the scanned card, or a new card with its UID filled in."""
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "res_model": "arthexis.rfid",
            "view_mode": "form",
            "target": "current",
        }
        card = self.last_scanned_card_id
        if card:
            return {**action, "name": card.display_name, "res_id": card.id}
        return {
            **action,
            "name": self.env._("New card"),
            "context": {
                "default_uid": self.last_scanned_uid,
                "default_company_id": self.company_id.id,
            },
        }
