from odoo.addons.arthexis_release.models.arthexis_release import parse_version
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import ReleaseCase


@tagged("post_install", "-at_install")
class TestReleaseVersion(ReleaseCase):
    def test_version_that_is_not_pep_440_is_refused_with_an_example(self):
        for bad in ("1.2.x", "latest", "1.0 beta", "2024-01-01"):
            with self.subTest(version=bad):
                with self.assertRaisesRegex(ValidationError, "not a valid version.*PEP 440"):
                    self.release(bad, state="draft")

    def test_version_is_stored_normalized(self):
        self.assertEqual(self.release("v1.0-RC1", state="draft").version, "1.0rc1")
        self.assertEqual(self.release(" 1.4.0.POST1 ", state="draft").version, "1.4.0.post1")

    def test_the_same_version_twice_in_a_package_is_refused(self):
        self.release("1.4.0", state="draft")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.release("1.4.0", state="draft")

    def test_an_equal_version_spelled_differently_is_refused(self):
        # PEP 440: 1.4 == 1.4.0
        self.release("1.4.0", state="draft")
        with self.assertRaisesRegex(ValidationError, "already exists as 1.4.0"):
            self.release("1.4", state="draft")

    def test_the_same_version_of_another_package_is_accepted(self):
        self.release("1.4.0", state="draft")
        other = self.release("1.4.0", state="draft", package_name="arthexis-tools")
        self.assertEqual(other.display_name, "arthexis-tools 1.4.0")

    def test_package_name_defaults_to_the_bridge_and_must_be_a_valid_name(self):
        self.assertEqual(self.release("1.0.0", state="draft").package_name, "arthexis-bridge")
        with self.assertRaisesRegex(ValidationError, "not a valid package name"):
            self.release("1.0.0", state="draft", package_name="arthexis bridge")

    def test_versions_order_by_pep_440_not_as_text(self):
        self.assertGreater(parse_version("1.10.0"), parse_version("1.9.0"))
        self.assertLess(parse_version("2.0.0rc1"), parse_version("2.0.0"))
        self.assertLess(parse_version("2.0.0"), parse_version("2.0.0.post1"))
        self.assertLess(parse_version("2.0.0.dev1"), parse_version("2.0.0a1"))
        self.assertIsNone(parse_version("1.2.x"))

    def test_release_candidates_are_pre_releases(self):
        self.assertTrue(self.release("2.0.0rc1", state="draft").is_prerelease)
        self.assertFalse(self.release("2.0.0", state="draft").is_prerelease)
