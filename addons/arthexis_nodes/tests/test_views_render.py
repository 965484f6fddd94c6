from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestViewsRender(TransactionCase):
    """Every window action and view of the installed Arthexis addons opens.

    A browser-free check: the server builds each view as the web client would
    ask for it, so a broken field, group or widget name fails here.
    """

    def arthexis_records(self, model):
        data = self.env["ir.model.data"].search(
            [("model", "=", model), ("module", "=like", "arthexis\\_%")]
        )
        return self.env[model].browse(data.mapped("res_id")).exists()

    def test_every_action_opens_each_of_its_view_modes(self):
        admin = self.env.ref("base.user_admin")
        actions = self.arthexis_records("ir.actions.act_window")
        self.assertTrue(actions)
        for action in actions:
            modes = [(False, mode) for mode in action.view_mode.split(",")] + [(False, "search")]
            with self.subTest(action=action.name):
                views = self.env[action.res_model].with_user(admin).get_views(modes)
                self.assertEqual(set(views["views"]), {mode for _id, mode in modes})

    def test_every_view_builds(self):
        views = self.arthexis_records("ir.ui.view").filtered(lambda v: v.type != "qweb")
        self.assertTrue(views)
        for view in views:
            with self.subTest(view=view.name):
                arch = self.env[view.model].get_view(view.id, view.type)["arch"]
                self.assertTrue(arch.startswith(f"<{view.type}"), arch[:80])
