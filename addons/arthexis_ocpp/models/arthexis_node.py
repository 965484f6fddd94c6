from odoo import api, fields, models


class ArthexisNode(models.Model):
    """The chargers a node serves (the node addon cannot see chargers)."""

    _inherit = "arthexis.node"

    charger_ids = fields.One2many("ocpp.charger", "node_id", string="Chargers")
    charger_count = fields.Integer(compute="_compute_charger_count")

    @api.depends("charger_ids")
    def _compute_charger_count(self):
        counts = {
            node.id: count
            for node, count in self.env["ocpp.charger"]._read_group(
                [("node_id", "in", self.ids)], ["node_id"], ["__count"]
            )
        }
        for node in self:
            node.charger_count = counts.get(node.id, 0)
