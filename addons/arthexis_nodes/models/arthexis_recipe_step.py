from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ArthexisRecipeStep(models.Model):
    """One step of a recipe: a shell command, run only if the steps before succeeded."""

    _name = "arthexis.recipe.step"
    _description = "Recipe Step"
    _order = "recipe_id, sequence, id"

    recipe_id = fields.Many2one("arthexis.recipe", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    script = fields.Text(required=True, help="A shell command; end a line with \\ to continue it.")

    @api.constrains("script")
    def _check_script(self):
        for step in self:
            if not (step.script or "").strip():
                raise ValidationError(self.env._("A recipe step needs a command."))
