import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from packaging.version import InvalidVersion, Version

DEFAULT_PACKAGE = "arthexis-bridge"

# The channel a release is published to.
RELEASE_CHANNELS = [("stable", "Stable"), ("unstable", "Unstable")]

# Release channels whose releases a node on an upgrade channel (arthexis.node's
# upgrade_channel) may install.
# A fixed node never upgrades by itself; unstable and latest see the same
# releases and differ in how often the node checks for them.
UPGRADE_SOURCES = {
    "fixed": (),
    "stable": ("stable",),
    "unstable": ("stable", "unstable"),
    "latest": ("stable", "unstable"),
}

# PEP 508 distribution names, as pip accepts them.
PACKAGE_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def parse_version(text):
    """The PEP 440 version of `text`, or None when it is not one."""
    try:
        return Version((text or "").strip())
    except InvalidVersion:
        return None


class ArthexisRelease(models.Model):
    """A version of an Arthexis package, published to a channel nodes upgrade from."""

    _name = "arthexis.release"
    _description = "Arthexis Release"
    _order = "package_name, release_date desc, id desc"
    _rec_names_search = ["package_name", "version"]

    package_name = fields.Char(
        string="Package",
        required=True,
        default=DEFAULT_PACKAGE,
        index=True,
        help="Distribution name as published, e.g. arthexis-bridge.",
    )
    version = fields.Char(required=True, help="A PEP 440 version: 1.4.0, 2.0.0rc1, 1.4.0.post1 ...")
    channel = fields.Selection(
        RELEASE_CHANNELS,
        required=True,
        default="stable",
        help="Stable releases reach nodes on the stable, unstable and latest channels; "
        "unstable releases only those on the unstable and latest channels.",
    )
    release_date = fields.Date(help="Set when the release is published, unless given.")
    notes = fields.Html(string="Release notes")
    state = fields.Selection(
        [("draft", "Draft"), ("published", "Published"), ("yanked", "Yanked")],
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        help="Only published releases are offered to nodes. A yanked release stays on "
        "record but is never offered again.",
    )
    is_prerelease = fields.Boolean(
        string="Pre-release",
        compute="_compute_is_prerelease",
        store=True,
        help="An alpha, beta, release candidate or development version.",
    )

    _sql_constraints = [
        (
            "version_unique",
            "unique(package_name, version)",
            "This version of the package already exists.",
        ),
    ]

    @api.depends("package_name", "version")
    def _compute_display_name(self):
        for release in self:
            release.display_name = f"{release.package_name or ''} {release.version or ''}".strip()

    @api.depends("version")
    def _compute_is_prerelease(self):
        for release in self:
            version = parse_version(release.version)
            release.is_prerelease = bool(version and version.is_prerelease)

    @api.constrains("version")
    def _check_version(self):
        for release in self:
            if parse_version(release.version) is None:
                raise ValidationError(
                    self.env._(
                        "%(version)s is not a valid version: use a PEP 440 version such as "
                        "1.4.0, 2.0.0rc1 or 1.4.0.post1.",
                        version=release.version,
                    )
                )

    @api.constrains("package_name", "version")
    def _check_version_unique(self):
        for release in self:
            version = parse_version(release.version)
            others = self.search(
                [("package_name", "=", release.package_name), ("id", "!=", release.id)]
            )
            same = others.filtered(lambda other, version=version: other.version_key() == version)
            if version is not None and same:
                raise ValidationError(
                    self.env._(
                        "%(package)s %(version)s already exists as %(existing)s: "
                        "a version is released once.",
                        package=release.package_name,
                        version=release.version,
                        existing=same[0].version,
                    )
                )

    @api.constrains("package_name")
    def _check_package_name(self):
        for release in self:
            if not PACKAGE_NAME.match(release.package_name or ""):
                raise ValidationError(
                    self.env._(
                        "%(package)s is not a valid package name: use letters, digits, "
                        "dots, dashes and underscores, like arthexis-bridge.",
                        package=release.package_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._normalize_vals(vals) for vals in vals_list])

    def write(self, vals):
        if {"package_name", "version"} & set(vals):
            released = self.filtered(lambda release: release.state != "draft")
            if released:
                raise UserError(
                    self.env._(
                        "%(release)s is %(state)s: its package and version cannot change. "
                        "Create a new release instead.",
                        release=released[0].display_name,
                        state=released[0]._state_label(),
                    )
                )
        return super().write(self._normalize_vals(vals))

    @api.model
    def _normalize_vals(self, vals):
        """Store versions in their normalized PEP 440 form (v1.0-RC1 -> 1.0rc1)."""
        vals = dict(vals)
        if vals.get("package_name"):
            vals["package_name"] = vals["package_name"].strip()
        if vals.get("version"):
            version = parse_version(vals["version"])
            vals["version"] = str(version) if version is not None else vals["version"]
        return vals

    @api.ondelete(at_uninstall=False)
    def _unlink_except_released(self):
        released = self.filtered(lambda release: release.state != "draft")
        if released:
            raise UserError(
                self.env._(
                    "%(release)s is %(state)s and nodes may have installed it: "
                    "yank it instead of deleting it.",
                    release=released[0].display_name,
                    state=released[0]._state_label(),
                )
            )

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def version_key(self):
        """The release's version as a comparable PEP 440 Version (1.10.0 > 1.9.0 > 1.9.0rc1)."""
        self.ensure_one()
        return parse_version(self.version)

    def action_publish(self):
        for release in self:
            if release.state != "draft":
                raise UserError(
                    self.env._(
                        "Only draft releases can be published: %(release)s is %(state)s.",
                        release=release.display_name,
                        state=release._state_label(),
                    )
                )
        for release in self:
            release.write(
                {
                    "state": "published",
                    "release_date": release.release_date or fields.Date.context_today(release),
                }
            )
        return True

    def action_yank(self):
        for release in self:
            if release.state != "published":
                raise UserError(
                    self.env._(
                        "Only published releases can be yanked: %(release)s is %(state)s.",
                        release=release.display_name,
                        state=release._state_label(),
                    )
                )
        self.write({"state": "yanked"})
        return True

    @api.model
    def latest_for(self, channel, package=DEFAULT_PACKAGE):
        """The newest release a node on upgrade `channel` may install, or an empty recordset.

        Fixed: none. Stable: the newest stable release. Unstable and latest: the
        newest stable or unstable release. Only published releases count, never
        drafts or yanked ones, and "newest" is by PEP 440 version, not by date.
        """
        if channel not in UPGRADE_SOURCES:
            raise UserError(
                self.env._(
                    "Unknown upgrade channel %(channel)s: use fixed, stable, unstable or latest.",
                    channel=channel,
                )
            )
        sources = UPGRADE_SOURCES[channel]
        if not sources:
            return self.browse()
        releases = self.search(
            [
                ("package_name", "=", package),
                ("state", "=", "published"),
                ("channel", "in", list(sources)),
            ]
        )
        return max(releases, key=lambda release: release.version_key(), default=self.browse())
