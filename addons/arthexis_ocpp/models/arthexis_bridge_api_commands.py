import json
import logging
import select
import time
from contextlib import contextmanager

from odoo import api, fields, models, sql_db
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .ocpp_command import BRIDGE_RESULTS, COMMAND_CHANNEL, FINAL_STATES
from .ocpp_event import jsonb_text

_logger = logging.getLogger(__name__)

# The longest a bridge may hold a commands() call open, in seconds: below the
# usual 30 s proxy and XML-RPC client timeouts.
MAX_WAIT = 25
# Commands handed to a bridge per call; it asks again at once when it got this many.
BATCH = 100


class ArthexisBridgeApi(models.AbstractModel):
    """Commands for chargers, pulled by the bridge that serves them (docs/commands.md)."""

    _inherit = "arthexis.bridge.api"

    @api.model
    def commands(self, wait=0, chargers=None):
        """The queued commands for this node's chargers, oldest first; marks nothing.

        ``wait`` (seconds, at most MAX_WAIT): when nothing is queued, block until a
        command is committed for this node, or the wait ends (then []). ``chargers``:
        the charge point ids the bridge has connected now; None for all.
        """
        self._check_bridge()
        if not isinstance(wait, int | float) or isinstance(wait, bool) or wait < 0:
            raise ValidationError(self.env._("commands: wait is a number of seconds, 0 or more."))
        if chargers is not None and not (
            isinstance(chargers, list) and all(isinstance(c, str) for c in chargers)
        ):
            raise ValidationError(self.env._("commands: chargers is a list of charge point ids."))
        node = self.env["arthexis.node"]._for_current_bridge()
        if not node:
            return []
        found = self._queued_commands(node, chargers)
        if not found and wait:
            found = self._wait_for_commands(node, chargers, wait)
        self._touch(node)
        return found

    @api.model
    def _wait_for_commands(self, node, chargers, wait):
        """Block until commands for this node are committed, or ``wait`` s pass."""
        deadline = time.monotonic() + min(wait, MAX_WAIT)
        with self._listening() as connection:
            # Start a new snapshot now that we listen: a command committed after the
            # first look is either seen by the next one or wakes us up.
            self.env.cr.rollback()
            found = self._queued_commands(node, chargers)
            while not found and (left := deadline - time.monotonic()) > 0:
                if self._woken(connection, node.id, left):
                    self.env.cr.rollback()
                    found = self._queued_commands(node, chargers)
        return found

    @api.model
    def _queued_commands(self, node, chargers):
        domain = [
            ("node_id", "=", node.id),
            ("state", "=", "queued"),
            ("expires_at", ">", fields.Datetime.now()),
        ]
        if chargers is not None:
            domain.append(("charger_id.charge_point_id", "in", chargers))
        # sudo: a bridge reads the commands of its own node's chargers, nothing else.
        commands = self.env["ocpp.command"].sudo().search(domain, order="id", limit=BATCH)
        return [command._bridge_values() for command in commands]

    @api.model
    @contextmanager
    def _listening(self):
        """A connection of its own that LISTENs for new commands (autocommit)."""
        cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute(SQL("LISTEN %s", SQL.identifier(COMMAND_CHANNEL)))
            # Its own connection, not the request's transaction: LISTEN takes effect on commit.
            cr.commit()  # pylint: disable=invalid-commit
            yield cr._cnx
        finally:
            try:
                cr.execute(SQL("UNLISTEN %s", SQL.identifier(COMMAND_CHANNEL)))
                cr.commit()  # pylint: disable=invalid-commit
            finally:
                cr.close()

    @api.model
    def _woken(self, connection, node_id, timeout):
        """Wait up to ``timeout`` s for a notification about this node's commands."""
        readable, _w, _x = select.select([connection], [], [], timeout)
        if not readable:
            return False
        connection.poll()
        woken = False
        while connection.notifies:
            woken |= connection.notifies.pop().payload == str(node_id)
        return woken

    @api.model
    def command_sent(self, ids):
        """Mark commands as sent; returns the ids the bridge may now send to chargers.

        A command expired, cancelled or answered meanwhile is not returned: the
        bridge must not send it. Asking again for an id already sent returns it again.
        """
        self._check_bridge()
        ids = self._command_ids(ids)
        node = self.env["arthexis.node"]._for_current_bridge()
        # sudo: only this node's commands, found by id, move from queued to sent.
        Command = self.env["ocpp.command"].sudo()
        commands = Command.search([("id", "in", ids), ("node_id", "=", node.id or 0)])
        now = fields.Datetime.now()
        fresh = commands.filtered(lambda c: c.state == "queued" and c.expires_at > now)
        fresh.write({"state": "sent", "sent_at": now})
        return commands.filtered(lambda c: c.state == "sent").ids

    @api.model
    def command_results(self, results):
        """Record what chargers answered; returns the ids settled (applied, or known).

        Each result: {"id", "status": accepted | rejected | failed | timed_out,
        "response": the CALLRESULT payload, or {"error_code", "error_description"}
        for a CALLERROR}. Idempotent: a result for a settled command changes nothing.
        """
        self._check_bridge()
        if not isinstance(results, list) or not all(
            isinstance(r, dict)
            and isinstance(r.get("id"), int)
            and r.get("status") in BRIDGE_RESULTS
            for r in results
        ):
            raise ValidationError(
                self.env._(
                    "command_results expects a list of {id, status, response} with status "
                    "one of %(statuses)s.",
                    statuses=", ".join(BRIDGE_RESULTS),
                )
            )
        node = self.env["arthexis.node"]._for_current_bridge()
        Command = self.env["ocpp.command"].sudo()
        commands = Command.search(
            [("id", "in", [r["id"] for r in results]), ("node_id", "=", node.id or 0)]
        )
        by_id = {command.id: command for command in commands}
        settled = []
        for result in results:
            command = by_id.get(result["id"])
            if command and command.state not in FINAL_STATES:
                self._settle(command, result)
            settled.append(result["id"])
        self._touch(node)
        return settled

    @api.model
    def _settle(self, command, result):
        """Apply one result in a savepoint: an answer that cannot be applied (nor even
        stored as it is) leaves the command failed, with why."""
        status, response = result["status"], result.get("response")
        _done, why = self._in_savepoint(
            command._apply_result, status, response, result.get("error")
        )
        if why is None:
            return
        _logger.warning("command %s: answer not applied: %s", command.id, why)
        command.write(
            {
                "state": "failed",
                "answered_at": fields.Datetime.now(),
                "response": json.loads(jsonb_text(response)),
                "error": self.env._("The answer could not be applied: %s", why),
            }
        )

    @api.model
    def _command_ids(self, ids):
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise ValidationError(self.env._("command_sent expects a list of command ids."))
        return ids

    @api.model
    def power_settings(self):
        """The node's site power limit, which the bridge shares among active sessions."""
        self._check_bridge()
        node = self.env["arthexis.node"]._for_current_bridge()
        if not node:
            return {"site_limit": False, "unit": "A", "phases": 3, "voltage": 230.0}
        return node._power_settings()

    # Firmware and diagnostics statuses also go to each charger's timeline.

    @api.model
    def _ingest_firmware_status(self, charger, data, at):
        result = super()._ingest_firmware_status(charger, data, at)
        update = (
            self.env["ocpp.command"]
            .sudo()
            .search([("charger_id", "=", charger.id), ("action", "=", "UpdateFirmware")], limit=1)
        )
        self._timeline(charger, "firmware", data, at, firmware_id=update.firmware_id.id)
        return result

    @api.model
    def _ingest_diagnostics_status(self, charger, data, at):
        result = super()._ingest_diagnostics_status(charger, data, at)
        self._timeline(charger, "diagnostics", data, at)
        return result

    @api.model
    def _timeline(self, charger, kind, data, at, **values):
        # sudo: on the checked bridge's behalf, as every handler; it only appends a step.
        self.env["ocpp.transfer.status"].sudo().create(
            {"charger_id": charger.id, "kind": kind, "status": data["status"], "at": at, **values}
        )
