from markupsafe import Markup
from odoo import api, fields, models

from ..tools import parse_time

# The OCPP 1.6 security whitepaper's security events (Edition 2, appendix 1);
# a charger may send others. True: the whitepaper marks it critical, which
# staff are told about on the charger's chatter as well.
SECURITY_EVENT_TYPES = {
    "FirmwareUpdated": True,
    "FailedToAuthenticateAtCentralSystem": False,
    "CentralSystemFailedToAuthenticate": False,
    "SettingSystemTime": True,
    "StartupOfTheDevice": True,
    "ResetOrReboot": True,
    "SecurityLogWasCleared": True,
    "ReconfigurationOfSecurityParameters": False,
    "MemoryExhaustion": True,
    "InvalidMessages": False,
    "AttemptedReplayAttacks": False,
    "TamperDetectionActivated": True,
    "InvalidFirmwareSignature": False,
    "InvalidFirmwareSigningCertificate": False,
    "InvalidCentralSystemCertificate": False,
    "InvalidChargePointCertificate": False,
    "InvalidTLSVersion": False,
    "InvalidTLSCipherSuite": False,
}


class OcppSecurityEvent(models.Model):
    """A SecurityEventNotification a charger sent (OCPP 1.6 security whitepaper)."""

    _name = "ocpp.security.event"
    _description = "Charger Security Event"
    _order = "timestamp desc, id desc"
    _rec_name = "event_type"

    charger_id = fields.Many2one(
        "ocpp.charger", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="charger_id.company_id", store=True, index=True)
    event_type = fields.Char(
        "Type", required=True, readonly=True, index=True, help="As the charger named it."
    )
    timestamp = fields.Datetime("Charger time", required=True, readonly=True)
    received_at = fields.Datetime(readonly=True, help="When the bridge received it.")
    tech_info = fields.Char("Technical information", readonly=True)
    critical = fields.Boolean(
        readonly=True,
        index=True,
        help="The security whitepaper marks this type critical: it is posted on the charger too.",
    )

    @api.model
    def _ingest(self, charger, data, at):
        """Record a ``security_event`` (docs/events.md); post a critical one on the charger."""
        event_type = data.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError(f"security event type {event_type!r} is not a name")
        critical = SECURITY_EVENT_TYPES.get(event_type, False)
        event = self.create(
            {
                "charger_id": charger.id,
                "event_type": event_type,
                "timestamp": parse_time(data["timestamp"]) if data.get("timestamp") else at,
                "received_at": at,
                "tech_info": data.get("tech_info"),
                "critical": critical,
            }
        )
        if critical:
            body = Markup("<p>{}</p>").format(
                self.env._("Critical security event: %(type)s", type=event_type)
            )
            if event.tech_info:
                body += Markup("<p>{}</p>").format(event.tech_info)
            charger.message_post(body=body, subtype_xmlid="mail.mt_note")
        return event
