from odoo import api, fields, models


class ArthexisNodeEnrolmentToken(models.TransientModel):
    """Shows a fresh enrolment token once, with the command that uses it."""

    _name = "arthexis.node.enrolment.token"
    _description = "Node enrolment token"

    node_id = fields.Many2one("arthexis.node", required=True, readonly=True, ondelete="cascade")
    token = fields.Char(readonly=True)
    expires_at = fields.Datetime(readonly=True)
    command = fields.Char(compute="_compute_command")

    @api.depends("token")
    def _compute_command(self):
        url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for wizard in self:
            wizard.command = f"arthexis-bridge enrol --odoo-url {url} --token {wizard.token}"
