from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, ValidationError


class ArthexisRecipe(models.Model):
    """A script stored in Odoo as ordered steps, which the nodes it is given to
    (and that enable recipes) fetch, run step by step and report back."""

    _name = "arthexis.recipe"
    _description = "Recipe"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    description = fields.Text()
    step_ids = fields.One2many("arthexis.recipe.step", "recipe_id", string="Steps", copy=True)
    script = fields.Text(
        compute="_compute_script",
        inverse="_inverse_script",
        help="The steps as one block: each line is a step; end a line with \\ to continue "
        "the step on the next line.",
    )
    node_ids = fields.Many2many(
        "arthexis.node",
        string="Nodes",
        help="The nodes that may run this recipe; a node must also enable recipes.",
    )
    run_ids = fields.One2many("arthexis.recipe.run", "recipe_id", string="Runs", readonly=True)

    _sql_constraints = [
        ("name_company_unique", "unique(name, company_id)", "Another recipe has this name."),
    ]

    @api.depends("step_ids.script", "step_ids.sequence")
    def _compute_script(self):
        for recipe in self:
            recipe.script = "\n".join(recipe.step_ids.sorted("sequence").mapped("script"))

    def _inverse_script(self):
        for recipe in self:
            steps = split_steps(recipe.script or "")
            recipe.step_ids = [Command.clear()] + [
                Command.create({"sequence": (n + 1) * 10, "script": step})
                for n, step in enumerate(steps)
            ]

    # The bridge's calls: checked to come from a bridge whose node enables recipes,
    # then made in sudo on that node's recipes only.

    @api.model
    def _recipe_node(self):
        node = self.env["arthexis.node"]._bridge_node()
        if not node.recipes_enabled:
            raise AccessError(
                self.env._(
                    "Node %(node)s does not enable recipes: tick Recipes enabled on it in Odoo.",
                    node=node.name,
                )
            )
        return node

    @api.model
    def bridge_recipes(self):
        """The recipes the calling bridge's node may run: [{id, name, steps}]."""
        node = self._recipe_node()
        recipes = self.sudo().search([("node_ids", "in", node.ids)])
        return [
            {"id": r.id, "name": r.name, "steps": r.step_ids.sorted("sequence").mapped("script")}
            for r in recipes
        ]

    @api.model
    def bridge_report_run(self, recipe_id, result):
        """Record a run of recipe ``recipe_id`` on the calling bridge's node.

        ``result``: started_at, finished_at (ISO 8601, UTC), exit_code, output.
        Returns the run's id.
        """
        node = self._recipe_node()
        recipe = self.sudo().search([("id", "=", recipe_id), ("node_ids", "in", node.ids)])
        if not recipe:
            raise AccessError(self.env._("Recipe %s is not given to this node.", recipe_id))
        if not isinstance(result, dict) or not isinstance(result.get("exit_code"), int):
            raise ValidationError(
                self.env._("A recipe run is reported as a struct with an integer exit_code.")
            )
        run = (
            self.env["arthexis.recipe.run"]
            .sudo()
            .create(
                {
                    "recipe_id": recipe.id,
                    "node_id": node.id,
                    "started_at": _parse_time(self.env, result.get("started_at")),
                    "finished_at": _parse_time(self.env, result.get("finished_at")),
                    "exit_code": result["exit_code"],
                    "output": str(result.get("output") or ""),
                }
            )
        )
        return run.id


def split_steps(script):
    """The steps of a script block: one a line, a trailing backslash joining lines."""
    steps, current = [], []
    for line in script.splitlines():
        if not current and not line.strip():
            continue
        current.append(line.rstrip())
        if not line.rstrip().endswith("\\"):
            steps.append("\n".join(current))
            current = []
    if current:
        steps.append("\n".join(current))
    return steps


def _parse_time(env, value):
    if not value:
        return False
    try:
        return fields.Datetime.to_datetime(str(value).replace("T", " ")[:19])
    except ValueError:
        raise ValidationError(env._("%r is not a date and time (ISO 8601, UTC).", value)) from None
