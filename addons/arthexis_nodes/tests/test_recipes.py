from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import BridgeNodesCase


@tagged("post_install", "-at_install")
class TestRecipes(BridgeNodesCase):
    def setUp(self):
        super().setUp()
        self.node.recipes_enabled = True
        self.other.recipes_enabled = True
        Recipe = self.env["arthexis.recipe"].with_user(self.manager)
        self.recipe = Recipe.create(
            {
                "name": "Rotate logs",
                "script": "echo one\necho two",
                "node_ids": [(6, 0, self.node.ids)],
            }
        )
        self.depot = Recipe.create(
            {"name": "Depot only", "script": "true", "node_ids": [(6, 0, self.other.ids)]}
        )

    def test_the_script_block_and_the_steps_are_two_views_of_one_recipe(self):
        self.assertEqual(self.recipe.step_ids.mapped("script"), ["echo one", "echo two"])
        self.recipe.script = "apt-get update\n\napt-get install -y \\\n    nginx-light\n"
        self.assertEqual(
            self.recipe.step_ids.sorted("sequence").mapped("script"),
            ["apt-get update", "apt-get install -y \\\n    nginx-light"],
        )
        with Form(self.recipe.with_user(self.manager)) as form:
            with form.step_ids.new() as step:
                step.sequence = 1
                step.script = "whoami"
        self.assertEqual(
            self.recipe.script, "whoami\napt-get update\napt-get install -y \\\n    nginx-light"
        )

    def test_only_managers_create_and_edit_recipes(self):
        with self.assertRaises(AccessError):
            self.env["arthexis.recipe"].with_user(self.user).create({"name": "x", "script": "ls"})
        with self.assertRaises(AccessError):
            self.recipe.with_user(self.user).read(["script"])
        with self.assertRaises(AccessError):
            self.recipe.with_user(self.bridge).write({"script": "rm -rf /"})
        with self.assertRaises(AccessError):
            self.recipe.with_user(self.bridge).read(["script"])

    def test_a_bridge_fetches_only_the_recipes_of_its_own_node(self):
        recipes = self.env["arthexis.recipe"].with_user(self.bridge).bridge_recipes()
        self.assertEqual(
            recipes,
            [{"id": self.recipe.id, "name": "Rotate logs", "steps": ["echo one", "echo two"]}],
        )
        other = self.env["arthexis.recipe"].with_user(self.other_bridge).bridge_recipes()
        self.assertEqual([r["name"] for r in other], ["Depot only"])

    def test_a_node_that_does_not_enable_recipes_gets_none(self):
        self.node.recipes_enabled = False
        with self.assertRaisesRegex(AccessError, "does not enable recipes"):
            self.env["arthexis.recipe"].with_user(self.bridge).bridge_recipes()
        with self.assertRaisesRegex(AccessError, "does not enable recipes"):
            self.env["arthexis.recipe"].with_user(self.bridge).bridge_report_run(
                self.recipe.id, {"exit_code": 0}
            )

    def test_staff_cannot_use_the_bridge_calls(self):
        with self.assertRaises(AccessError):
            self.env["arthexis.recipe"].with_user(self.manager).bridge_recipes()

    def test_a_bridge_reports_a_run_of_its_own_recipe(self):
        Recipe = self.env["arthexis.recipe"].with_user(self.bridge)
        run_id = Recipe.bridge_report_run(
            self.recipe.id,
            {
                "started_at": "2026-12-02T05:00:00+00:00",
                "finished_at": "2026-12-02T05:00:02+00:00",
                "exit_code": 1,
                "output": "$ echo one\none\n",
            },
        )
        run = self.env["arthexis.recipe.run"].browse(run_id)
        self.assertEqual((run.recipe_id, run.node_id), (self.recipe, self.node))
        self.assertEqual(run.state, "failed")
        self.assertEqual(str(run.started_at), "2026-12-02 05:00:00")
        self.assertIn("one", run.output)

    def test_a_bridge_cannot_report_on_another_nodes_recipe(self):
        Recipe = self.env["arthexis.recipe"].with_user(self.bridge)
        with self.assertRaisesRegex(AccessError, "not given to this node"):
            Recipe.bridge_report_run(self.depot.id, {"exit_code": 0})
        with self.assertRaisesRegex(ValidationError, "integer exit_code"):
            Recipe.bridge_report_run(self.recipe.id, {"exit_code": "0"})
        self.assertFalse(self.env["arthexis.recipe.run"].search([]))
