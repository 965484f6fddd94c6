import threading
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCommandLongPoll(TransactionCase):
    """commands(wait=N) returns as soon as a command is committed, with real transactions.

    Everything here runs in cursors of its own that really commit (the test's own
    transaction would hide commits from PostgreSQL's NOTIFY), and cleans up after.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            node = env["arthexis.node"].create({"name": "Long poll edge"})
            node.action_generate_api_key()  # its API-only bridge user
            user = node.user_id
            charger = env["ocpp.charger"].create(
                {"charge_point_id": "CP-LONGPOLL", "node_id": node.id}
            )
            self.ids = {"user": user.id, "node": node.id, "charger": charger.id}
        self.addCleanup(self._remove_committed)

    def _remove_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ocpp.command"].search([("charger_id", "=", self.ids["charger"])]).unlink()
            env["ocpp.charger"].browse(self.ids["charger"]).unlink()
            env["arthexis.node"].browse(self.ids["node"]).unlink()
            env["res.users"].browse(self.ids["user"]).unlink()

    def poll_in_thread(self, wait, chargers=None):
        """Call commands(wait) as the bridge in its own thread and cursor."""
        outcome = {}

        def run():
            with self.registry.cursor() as cr:
                # The test runner holds the registry lock that Environment() would
                # take to find the registry: hand it over, as an HTTP worker has it.
                cr.transaction = api.Transaction(self.registry)
                env = api.Environment(cr, self.ids["user"], {})
                started = time.monotonic()
                outcome["commands"] = env["arthexis.bridge.api"].commands(wait, chargers)
                outcome["returned"] = time.monotonic()
                outcome["elapsed"] = outcome["returned"] - started

        thread = threading.Thread(target=run)
        thread.start()
        return thread, outcome

    def commit_command(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            command = env["ocpp.command"].create(
                {"charger_id": self.ids["charger"], "action": "ClearCache", "payload": {}}
            )
            command_id = command.id
        return command_id, time.monotonic()

    def test_long_poll_returns_within_a_second_of_the_commit(self):
        thread, outcome = self.poll_in_thread(10)
        time.sleep(1.5)  # the bridge is waiting
        self.assertTrue(thread.is_alive(), "nothing queued: the call waits")
        command_id, committed = self.commit_command()
        thread.join(15)
        self.assertFalse(thread.is_alive())
        self.assertEqual([c["id"] for c in outcome["commands"]], [command_id])
        self.assertLess(outcome["returned"] - committed, 1.0)

    def test_long_poll_returns_empty_after_the_wait(self):
        thread, outcome = self.poll_in_thread(2)
        thread.join(10)
        self.assertEqual(outcome["commands"], [])
        self.assertGreaterEqual(outcome["elapsed"], 1.9)
        self.assertLess(outcome["elapsed"], 4)

    def test_a_command_for_a_charger_the_bridge_has_not_connected_does_not_wake_it(self):
        thread, outcome = self.poll_in_thread(2, chargers=["CP-ELSEWHERE"])
        time.sleep(0.5)
        self.commit_command()
        thread.join(10)
        self.assertEqual(outcome["commands"], [])
        self.assertGreaterEqual(outcome["elapsed"], 1.9)
