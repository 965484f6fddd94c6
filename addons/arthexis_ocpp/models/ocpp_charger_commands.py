from odoo import api, fields, models
from odoo.exceptions import UserError

from .ocpp_command import ACTIONS


class OcppCharger(models.Model):
    """What remote control adds to a charger: commands, configuration, local list."""

    _inherit = "ocpp.charger"

    command_ids = fields.One2many("ocpp.command", "charger_id", string="Commands")
    command_count = fields.Integer(compute="_compute_command_count")
    config_key_ids = fields.One2many(
        "ocpp.charger.config.key", "charger_id", string="Configuration"
    )
    reservation_ids = fields.One2many("ocpp.reservation", "charger_id", string="Reservations")
    transfer_status_ids = fields.One2many(
        "ocpp.transfer.status", "charger_id", string="Firmware and diagnostics"
    )
    local_list_sync = fields.Boolean(
        "Keep local list current",
        help="Send the charger its local authorization list, and every card change after.",
    )
    local_list_version = fields.Integer(
        readonly=True,
        help="The list version the charger last accepted; 0: none known, the next update is full.",
    )
    local_list_reported_version = fields.Integer(
        readonly=True, help="What the charger answered to the last GetLocalListVersion."
    )
    local_list_status = fields.Char(readonly=True, help="The charger's answer to SendLocalList.")

    def _compute_command_count(self):
        counts = dict(
            self.env["ocpp.command"]._read_group(
                [("charger_id", "in", self.ids)], ["charger_id"], ["__count"]
            )
        )
        for charger in self:
            charger.command_count = counts.get(charger, 0)

    # Buttons.

    def action_view_commands(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("arthexis_ocpp.action_ocpp_command")
        action["domain"] = [("charger_id", "=", self.id)]
        action["context"] = {"default_charger_id": self.id}
        action["name"] = self.env._("Commands of %s", self.display_name)
        return action

    def action_open_command(self):
        """The command wizard for the action named in the button's context."""
        self.ensure_one()
        action = self.env.context.get("command_action")
        if action not in dict(ACTIONS):
            raise UserError(self.env._("Unknown charger command %r.", action))
        return {
            "type": "ir.actions.act_window",
            "name": dict(ACTIONS)[action],
            "res_model": "ocpp.command.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_charger_id": self.id,
                "default_action": action,
                "command_action": False,
            },
        }

    def action_reserve(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reserve a connector"),
            "res_model": "ocpp.reservation",
            "view_mode": "form",
            "target": "new",
            "context": {"default_charger_id": self.id},
        }

    def action_get_configuration(self):
        for charger in self:
            charger._queue("GetConfiguration", {})
        return True

    def action_send_configuration(self):
        """Ask the charger to take every new value typed in the configuration list."""
        for charger in self:
            keys = charger.config_key_ids.filtered("pending")
            if not keys:
                raise UserError(self.env._("Type a new value next to a key first, then send it."))
            for key in keys:
                charger._queue("ChangeConfiguration", {"key": key.key, "value": key.new_value})
        return True

    def action_send_local_list(self):
        for charger in self:
            if not charger._send_local_list(full=self.env.context.get("full_list", False)):
                raise UserError(self.env._("The charger's local list is already current."))
        return True

    def _queue(self, action, payload, **values):
        return self.env["ocpp.command"].create(
            {"charger_id": self.id, "action": action, "payload": payload, **values}
        )

    # Configuration answers.

    def _store_configuration(self, response):
        """GetConfiguration answered: keep each key's value and read-only flag."""
        self.ensure_one()
        now = fields.Datetime.now()
        Key = self.env["ocpp.charger.config.key"].sudo()
        known = {key.key: key for key in self.sudo().config_key_ids}
        for item in response.get("configurationKey") or []:
            if not isinstance(item, dict) or not item.get("key"):
                continue
            values = {
                "value": item.get("value") or False,
                "readonly": bool(item.get("readonly")),
                "last_read": now,
            }
            key = known.get(item["key"])
            if key:
                if key.new_value == values["value"]:
                    values["new_value"] = False
                key.write(values)
            else:
                Key.create({"charger_id": self.id, "key": item["key"], **values})

    def _store_configuration_change(self, name, value, status):
        """ChangeConfiguration answered: the value is the charger's only when it took it."""
        self.ensure_one()
        Key = self.env["ocpp.charger.config.key"].sudo()
        key = Key.search([("charger_id", "=", self.id), ("key", "=", name)])
        if not key:
            key = Key.create({"charger_id": self.id, "key": name})
        values = {"last_change_status": status, "last_change_at": fields.Datetime.now()}
        if status in ("Accepted", "RebootRequired"):
            values.update(value=value, new_value=False)
        key.write(values)

    # The local authorization list.

    def _local_list_cards(self, since=0):
        """The cards of the charger's company changed since a version (0: every active card)."""
        Card = self.env["arthexis.rfid"].sudo().with_context(active_test=False)
        domain = [("company_id", "=", self.company_id.id), ("auth_version", ">", since)]
        if not since:
            domain.append(("active", "=", True))
        return Card.search(domain, order="auth_version")

    @api.model
    def _local_list_entry(self, card):
        """One localAuthorizationList entry; an archived card has no idTagInfo (removed)."""
        if not card.active:
            return {"idTag": card.uid}
        decision = card._authorization()  # the one authorization policy
        info = {"status": decision["status"]}
        if decision.get("expiry_date"):
            info["expiryDate"] = decision["expiry_date"]
        if decision.get("parent_id_tag"):
            info["parentIdTag"] = decision["parent_id_tag"]
        return {"idTag": card.uid, "idTagInfo": info}

    def _send_local_list(self, full=False):
        """Queue SendLocalList: full, or the cards changed since the charger's version.

        The list version is the newest card change included, so versions only grow.
        Returns the command, or nothing when the charger is already current.
        """
        self.ensure_one()
        full = full or not self.local_list_version
        since = 0 if full else self.local_list_version
        cards = self._local_list_cards(since)
        if not full and not cards:
            return self.env["ocpp.command"]
        # An archived card bumps the version too: a full list after it is a new version.
        newest = self._local_list_cards(since or -1)[-1:].auth_version if full else 0
        version = max(newest, *cards.mapped("auth_version"), 1)
        return self._queue(
            "SendLocalList",
            {
                "listVersion": version,
                "updateType": "Full" if full else "Differential",
                "localAuthorizationList": [self._local_list_entry(card) for card in cards],
            },
        )

    @api.model
    def _cron_sync_local_lists(self):
        """Send differential updates to chargers whose cards changed since their list."""
        Command = self.env["ocpp.command"]
        for charger in self.search([("local_list_sync", "=", True)]):
            busy = Command.search_count(
                [
                    ("charger_id", "=", charger.id),
                    ("action", "=", "SendLocalList"),
                    ("state", "in", ("queued", "sent")),
                ]
            )
            if not busy:
                charger._send_local_list()


class OcppConnector(models.Model):
    _inherit = "ocpp.connector"

    def action_unlock(self):
        for connector in self:
            if not connector.connector_number:
                raise UserError(
                    self.env._("Connector 0 is the whole charger: pick a real connector.")
                )
            connector.charger_id._queue(
                "UnlockConnector",
                {"connectorId": connector.connector_number},
                connector_id=connector.id,
            )
        return True


class OcppTransaction(models.Model):
    _inherit = "ocpp.transaction"

    def action_remote_stop(self):
        """Ask the charger to end this session (RemoteStopTransaction)."""
        for session in self:
            if session.state != "active":
                raise UserError(self.env._("Only a running session can be stopped."))
            if not session.transaction_id.isdigit():
                raise UserError(
                    self.env._(
                        "Session %s was not started by OCPP 1.6: it has no numeric id.",
                        session.transaction_id,
                    )
                )
            session.charger_id._queue(
                "RemoteStopTransaction",
                {"transactionId": int(session.transaction_id)},
                connector_id=session.connector_id.id,
                transaction_id=session.id,
            )
        return True
