from odoo import Command
from odoo.tests import TransactionCase, tagged

RENDERED = ("list", "form", "kanban", "search", "pivot", "graph", "calendar", "activity")


@tagged("post_install", "-at_install")
class TestViewsRender(TransactionCase):
    """Every back-office view of the addon renders for the staff who open it, no browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.manager = users.create(
            {
                "name": "Max Manager",
                "login": "max.views",
                "groups_id": [
                    Command.set(cls.env.ref("arthexis_nodes.group_charging_manager").ids)
                ],
            }
        )
        cls.user = users.create(
            {
                "name": "Olga User",
                "login": "olga.views",
                "groups_id": [Command.set(cls.env.ref("arthexis_nodes.group_charging_user").ids)],
            }
        )

    def views(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "arthexis_ocpp"), ("model", "=", "ir.ui.view")]
        )
        views = self.env["ir.ui.view"].browse(data.mapped("res_id"))
        return views.filtered(lambda view: view.type in RENDERED)

    def readers(self, model):
        """The charging staff who may read the model, else the administrator (settings)."""
        staff = [
            user
            for user in (self.user, self.manager)
            if self.env[model].with_user(user).has_access("read")
        ]
        return staff or [self.env.ref("base.user_admin")]

    def test_every_view_of_the_addon_renders_for_the_staff_who_read_its_model(self):
        views = self.views()
        self.assertGreater(len(views), 10)
        for view in views:
            root = view
            while root.mode != "primary":
                root = root.inherit_id
            for user in self.readers(view.model):
                with self.subTest(view=view.xml_id, user=user.login):
                    result = self.env[view.model].with_user(user).get_views([(root.id, root.type)])
                    arch = result["views"][root.type]["arch"]
                    self.assertTrue(arch.startswith(f"<{root.type}"), arch[:80])

    def test_every_window_action_of_the_addon_opens_its_views(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "arthexis_ocpp"), ("model", "=", "ir.actions.act_window")]
        )
        actions = self.env["ir.actions.act_window"].browse(data.mapped("res_id"))
        self.assertTrue(actions)
        for action in actions:
            modes = [mode for mode in action.view_mode.split(",") if mode in RENDERED]
            views = [
                (action.view_id.id if action.view_id.type == mode else False, mode)
                for mode in [*modes, "search"]
            ]
            for user in self.readers(action.res_model):
                with self.subTest(action=action.name, user=user.login):
                    result = self.env[action.res_model].with_user(user).get_views(views)
                    self.assertEqual(set(result["views"]), {*modes, "search"})
