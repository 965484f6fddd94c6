from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ReleaseCase


@tagged("post_install", "-at_install")
class TestReleaseChannels(ReleaseCase):
    def latest(self, channel, package="arthexis-bridge"):
        return self.env["arthexis.release"].latest_for(channel, package)

    def test_newest_is_by_version_not_by_date_1_10_beats_1_9(self):
        newer = self.release("1.10.0", release_date="2024-01-01")
        self.release("1.9.0", release_date="2024-06-01")
        self.assertEqual(self.latest("stable"), newer)

    def test_a_final_release_beats_its_release_candidate(self):
        final = self.release("2.0.0", channel="unstable")
        self.release("2.0.0rc1", channel="unstable")
        self.assertEqual(self.latest("unstable"), final)

    def test_fixed_channel_is_never_offered_a_release(self):
        self.release("1.0.0")
        self.release("1.1.0", channel="unstable")
        self.assertFalse(self.latest("fixed"))

    def test_stable_channel_gets_the_newest_stable_release_only(self):
        stable = self.release("1.1.0")
        self.release("1.2.0", channel="unstable")
        self.assertEqual(self.latest("stable"), stable)

    def test_unstable_channel_gets_the_newest_of_stable_and_unstable(self):
        self.release("1.1.0")
        unstable = self.release("1.2.0a1", channel="unstable")
        self.assertEqual(self.latest("unstable"), unstable)
        newer_stable = self.release("1.2.0")
        self.assertEqual(self.latest("unstable"), newer_stable)

    def test_latest_channel_sees_stable_and_unstable_releases(self):
        stable = self.release("1.3.0")
        self.assertEqual(self.latest("latest"), stable)
        unstable = self.release("1.4.0.dev2", channel="unstable")
        self.assertEqual(self.latest("latest"), unstable)

    def test_yanked_releases_are_skipped(self):
        good = self.release("1.1.0")
        self.release("1.2.0", state="yanked")
        self.assertEqual(self.latest("stable"), good)
        self.assertEqual(self.latest("latest"), good)

    def test_draft_releases_are_skipped(self):
        good = self.release("1.1.0")
        self.release("1.2.0", state="draft")
        self.assertEqual(self.latest("stable"), good)

    def test_other_packages_are_ignored(self):
        bridge = self.release("1.0.0")
        self.release("9.0.0", package_name="arthexis-tools")
        self.assertEqual(self.latest("stable"), bridge)
        self.assertEqual(self.latest("stable", "arthexis-tools").version, "9.0.0")

    def test_no_release_yet_gives_nothing(self):
        self.assertFalse(self.latest("latest"))

    def test_unknown_channel_is_refused_with_the_known_ones(self):
        with self.assertRaisesRegex(UserError, "fixed, stable, unstable or latest"):
            self.latest("nightly")
