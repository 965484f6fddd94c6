from odoo import api, fields, models
from odoo.exceptions import ValidationError

PURPOSES = [
    ("TxDefaultProfile", "Default for sessions (TxDefault)"),
    ("TxProfile", "One session (TxProfile)"),
    ("ChargePointMaxProfile", "Whole charger limit (ChargePointMax)"),
]


class OcppChargingProfile(models.Model):
    """An OCPP 1.6 charging profile: power or current limits over time."""

    _name = "ocpp.charging.profile"
    _description = "Charging Profile"
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    purpose = fields.Selection(PURPOSES, required=True, default="TxDefaultProfile")
    stack_level = fields.Integer(
        default=0, help="Higher levels win over lower ones of the same purpose."
    )
    kind = fields.Selection(
        [("Absolute", "Absolute"), ("Recurring", "Recurring"), ("Relative", "Relative")],
        required=True,
        default="Relative",
        help="Absolute: from the schedule start. Recurring: every day or week. "
        "Relative: from the start of each session.",
    )
    recurrency = fields.Selection([("Daily", "Daily"), ("Weekly", "Weekly")])
    unit = fields.Selection([("A", "Amperes (A)"), ("W", "Watts (W)")], required=True, default="A")
    start_schedule = fields.Datetime(help="Needed for Absolute and Recurring profiles.")
    duration = fields.Integer("Duration (s)", help="Empty: the last period lasts for ever.")
    min_charging_rate = fields.Float(help="The lowest rate the vehicle accepts, in the unit.")
    valid_from = fields.Datetime()
    valid_to = fields.Datetime()
    period_ids = fields.One2many("ocpp.charging.profile.period", "profile_id", string="Periods")

    @api.model_create_multi
    def create(self, vals_list):
        profiles = super().create(vals_list)
        profiles._check_periods()  # constraints on period_ids run only when it is given
        return profiles

    @api.constrains("kind", "recurrency", "start_schedule", "stack_level", "duration")
    def _check_schedule(self):
        for profile in self:
            if profile.kind == "Recurring" and not profile.recurrency:
                raise ValidationError(
                    self.env._("A recurring profile repeats daily or weekly: choose one.")
                )
            if profile.kind in ("Absolute", "Recurring") and not profile.start_schedule:
                raise ValidationError(
                    self.env._("An %(kind)s profile needs a schedule start.", kind=profile.kind)
                )
            if profile.stack_level < 0 or profile.duration < 0:
                raise ValidationError(self.env._("Stack level and duration cannot be negative."))

    @api.constrains("period_ids")
    def _check_periods(self):
        for profile in self:
            starts = profile.period_ids.sorted("start_period").mapped("start_period")
            if not starts:
                raise ValidationError(
                    self.env._("The profile %(name)s needs at least one period.", name=profile.name)
                )
            if starts[0] != 0:
                raise ValidationError(self.env._("The first period must start at 0 s."))
            if len(set(starts)) != len(starts):
                raise ValidationError(self.env._("Two periods cannot start at the same second."))

    def _ocpp_payload(self, transaction_id=None):
        """The csChargingProfiles object of SetChargingProfile (or a remote start)."""
        self.ensure_one()
        schedule = {
            "chargingRateUnit": self.unit,
            "chargingSchedulePeriod": [
                period._ocpp_payload() for period in self.period_ids.sorted("start_period")
            ],
        }
        if self.duration:
            schedule["duration"] = self.duration
        if self.start_schedule:
            schedule["startSchedule"] = self.start_schedule.isoformat() + "Z"
        if self.min_charging_rate:
            schedule["minChargingRate"] = self.min_charging_rate
        payload = {
            "chargingProfileId": self.id,
            "stackLevel": self.stack_level,
            "chargingProfilePurpose": self.purpose,
            "chargingProfileKind": self.kind,
            "chargingSchedule": schedule,
        }
        if self.kind == "Recurring":
            payload["recurrencyKind"] = self.recurrency
        if transaction_id:
            payload["transactionId"] = transaction_id
        if self.valid_from:
            payload["validFrom"] = self.valid_from.isoformat() + "Z"
        if self.valid_to:
            payload["validTo"] = self.valid_to.isoformat() + "Z"
        return payload


class OcppChargingProfilePeriod(models.Model):
    _name = "ocpp.charging.profile.period"
    _description = "Charging Profile Period"
    _order = "profile_id, start_period"

    profile_id = fields.Many2one(
        "ocpp.charging.profile", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="profile_id.company_id", store=True, index=True)
    start_period = fields.Integer(
        "Start (s)", required=True, help="Seconds from the schedule start."
    )
    limit = fields.Float(required=True, help="In the profile's unit, A or W.")
    number_phases = fields.Integer("Phases", help="Empty: 3 phases, as OCPP assumes.")

    @api.constrains("start_period", "limit", "number_phases")
    def _check_period(self):
        for period in self:
            if period.start_period < 0 or period.limit < 0:
                raise ValidationError(
                    self.env._("A period starts at 0 s or later, with a limit of 0 or more.")
                )
            if period.number_phases and period.number_phases not in (1, 2, 3):
                raise ValidationError(self.env._("A period uses 1, 2 or 3 phases."))

    def _ocpp_payload(self):
        payload = {"startPeriod": self.start_period, "limit": self.limit}
        if self.number_phases:
            payload["numberPhases"] = self.number_phases
        return payload
