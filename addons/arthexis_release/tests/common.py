from odoo.addons.arthexis_nodes.tests.common import ChargingUsersCase


class ReleaseCase(ChargingUsersCase):
    def release(self, version, channel="stable", state="published", **values):
        """A release of arthexis-bridge, published unless told otherwise."""
        release = self.env["arthexis.release"].create(
            dict({"version": version, "channel": channel}, **values)
        )
        if state in ("published", "yanked"):
            release.action_publish()
        if state == "yanked":
            release.action_yank()
        return release
