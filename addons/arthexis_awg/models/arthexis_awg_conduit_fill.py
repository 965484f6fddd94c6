from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .arthexis_awg_cable import AWG_SIZE_RANK, AWG_SIZES

CONDUIT_TYPES = [
    ("emt", "EMT"),
    ("rmc", "RMC"),
    ("pvc40", "PVC Schedule 40"),
    ("pvc80", "PVC Schedule 80"),
]

INSULATIONS = [("thhn", "THHN / THWN-2")]


class ArthexisAwgConduitFill(models.Model):
    """How many conductors of one size fit in one conduit trade size.

    In the manner of NEC Annex C: every conductor the same size and insulation,
    filled to the percentages of NEC Chapter 9 Table 1 (53 % for one conductor,
    31 % for two, 40 % for more).
    """

    _name = "arthexis.awg.conduit.fill"
    _description = "Conduit Fill"
    _order = "conduit_type, metric_designator, size_rank"
    _rec_names_search = ["trade_size", "size"]

    conduit_type = fields.Selection(CONDUIT_TYPES, required=True, default="emt")
    trade_size = fields.Char(
        string="Trade size (in)", required=True, help="Trade size in inches, e.g. 3/4 or 1-1/4."
    )
    metric_designator = fields.Integer(
        required=True,
        help="Metric designator of the trade size (16 for 1/2, 21 for 3/4, 27 for 1, ...); "
        "orders the sizes from the smallest up.",
    )
    insulation = fields.Selection(INSULATIONS, required=True, default="thhn")
    size = fields.Selection(AWG_SIZES, string="Conductor size", required=True)
    size_rank = fields.Integer(compute="_compute_size_rank", store=True)
    max_conductors = fields.Integer(
        string="Max. conductors",
        help="Most conductors of this size the conduit may hold; 0 when not even one fits.",
    )

    _sql_constraints = [
        (
            "row_unique",
            "unique(conduit_type, metric_designator, insulation, size)",
            "A conduit trade size lists each conductor size and insulation once.",
        ),
    ]

    @api.depends("conduit_type", "trade_size", "size", "insulation", "max_conductors")
    def _compute_display_name(self):
        types = dict(self._fields["conduit_type"]._description_selection(self.env))
        sizes = dict(self._fields["size"]._description_selection(self.env))
        insulations = dict(self._fields["insulation"]._description_selection(self.env))
        for row in self:
            row.display_name = self.env._(
                "%(conduit)s %(trade_size)s in, %(size)s %(insulation)s: up to %(count)s",
                conduit=types.get(row.conduit_type, ""),
                trade_size=row.trade_size or "",
                count=row.max_conductors,
                size=sizes.get(row.size, ""),
                insulation=insulations.get(row.insulation, ""),
            )

    @api.depends("size")
    def _compute_size_rank(self):
        for row in self:
            row.size_rank = AWG_SIZE_RANK.get(row.size, 0)

    @api.constrains("metric_designator", "max_conductors")
    def _check_counts(self):
        for row in self:
            if row.metric_designator <= 0:
                raise ValidationError(
                    self.env._(
                        "Conduit %(trade_size)s: the metric designator must be more than zero, "
                        "e.g. 21 for a 3/4 in conduit.",
                        trade_size=row.trade_size,
                    )
                )
            if row.max_conductors < 0:
                raise ValidationError(
                    self.env._(
                        "Conduit %(trade_size)s: the number of conductors cannot be negative; "
                        "use 0 when not even one conductor fits.",
                        trade_size=row.trade_size,
                    )
                )

    @api.model
    def smallest_conduit(self, conduit_type, size, count, insulation="thhn"):
        """The row of the smallest trade size holding `count` conductors of `size`.

        An empty recordset when no listed trade size is large enough.
        """
        return self.search(
            [
                ("conduit_type", "=", conduit_type),
                ("insulation", "=", insulation),
                ("size", "=", size),
                ("max_conductors", ">=", count),
            ],
            order="metric_designator",
            limit=1,
        )
