from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ReleaseCase


@tagged("post_install", "-at_install")
class TestReleaseWorkflow(ReleaseCase):
    def test_publishing_dates_a_release_that_has_no_date(self):
        release = self.release("1.0.0", state="draft")
        release.action_publish()
        self.assertEqual(release.state, "published")
        self.assertEqual(release.release_date, fields.Date.context_today(release))

    def test_publishing_keeps_a_given_date(self):
        release = self.release("1.0.0", release_date="2024-03-01")
        self.assertEqual(str(release.release_date), "2024-03-01")

    def test_a_release_is_published_once(self):
        release = self.release("1.0.0")
        with self.assertRaisesRegex(UserError, "Only draft releases can be published"):
            release.action_publish()

    def test_a_yanked_release_cannot_be_published_again(self):
        release = self.release("1.0.0", state="yanked")
        with self.assertRaisesRegex(UserError, "is Yanked"):
            release.action_publish()

    def test_only_published_releases_are_yanked(self):
        release = self.release("1.0.0", state="draft")
        with self.assertRaisesRegex(UserError, "Only published releases can be yanked"):
            release.action_yank()

    def test_published_release_keeps_its_version_but_may_be_promoted(self):
        release = self.release("1.0.0", channel="unstable")
        with self.assertRaisesRegex(UserError, "cannot change"):
            release.version = "1.0.1"
        release.channel = "stable"
        self.assertEqual(self.env["arthexis.release"].latest_for("stable"), release)

    def test_published_release_cannot_be_deleted_but_a_draft_can(self):
        published = self.release("1.0.0")
        with self.assertRaisesRegex(UserError, "yank it instead"):
            published.unlink()
        draft = self.release("1.1.0", state="draft")
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_charging_user_reads_releases_but_cannot_publish(self):
        release = self.release("1.0.0", state="draft").with_user(self.user)
        self.assertEqual(release.version, "1.0.0")
        with self.assertRaises(AccessError):
            release.action_publish()
        stable = self.env["arthexis.release"].with_user(self.user).latest_for("stable")
        self.assertFalse(stable)

    def test_charging_manager_publishes_and_yanks(self):
        release = self.release("1.0.0", state="draft").with_user(self.manager)
        release.action_publish()
        release.action_yank()
        self.assertEqual(release.state, "yanked")
