from odoo import fields, models

from .arthexis_node import NODE_ROLES


class ArthexisNodeFeature(models.Model):
    """Something a node can do: a reader, a display, a service it runs.

    Each role's default features are data: the ``default_<role>`` flags.
    """

    _name = "arthexis.node.feature"
    _description = "Node Feature"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable identifier the bridge and installers use.")
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    default_terminal = fields.Boolean("Terminal default")
    default_control = fields.Boolean("Control default")
    default_satellite = fields.Boolean("Satellite default")
    default_watchtower = fields.Boolean("Watchtower default")

    _sql_constraints = [
        ("code_unique", "unique(code)", "Another feature already uses this code."),
    ]

    def _defaults_for(self, role):
        """The features a node of ``role`` gets unless told otherwise."""
        if role not in dict(NODE_ROLES):
            return self.browse()
        return self.search([(f"default_{role}", "=", True)])
