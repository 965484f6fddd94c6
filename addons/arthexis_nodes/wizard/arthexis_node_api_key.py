from odoo import fields, models


class ArthexisNodeApiKey(models.TransientModel):
    """Shows a freshly generated bridge API key once, like Odoo's own key dialog."""

    _name = "arthexis.node.api.key"
    _description = "Bridge API key"

    node_id = fields.Many2one("arthexis.node", required=True, readonly=True, ondelete="cascade")
    login = fields.Char(readonly=True)
    key = fields.Char(readonly=True)
