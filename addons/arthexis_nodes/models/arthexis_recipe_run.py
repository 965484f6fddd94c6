from odoo import api, fields, models


class ArthexisRecipeRun(models.Model):
    """A recipe run on a node, as its bridge reported it."""

    _name = "arthexis.recipe.run"
    _description = "Recipe Run"
    _order = "started_at desc, id desc"
    _rec_name = "recipe_id"

    recipe_id = fields.Many2one("arthexis.recipe", required=True, ondelete="cascade", index=True)
    node_id = fields.Many2one("arthexis.node", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="node_id.company_id", store=True)
    started_at = fields.Datetime()
    finished_at = fields.Datetime()
    exit_code = fields.Integer()
    output = fields.Text()
    state = fields.Selection(
        [("success", "Succeeded"), ("failed", "Failed")], compute="_compute_state", store=True
    )

    @api.depends("exit_code")
    def _compute_state(self):
        for run in self:
            run.state = "success" if run.exit_code == 0 else "failed"
