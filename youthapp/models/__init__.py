"""The programme's records, one module per area; importing this package registers them all."""

from youthapp.models.alerts import (
    ALERT_KINDS,
    ALERT_RESOLUTIONS,
    ALERT_STATUSES,
    HIDDEN_FROM_YOUNG_PERSON,
    SHOWN_RESOLVED_AT,
    URGENT_KINDS,
    Alert,
)
from youthapp.models.appointments import (
    APPOINTMENT_MODES,
    APPOINTMENT_STATUSES,
    YOUNG_PERSON_RESPONSES,
    Appointment,
    CalendarFeed,
)
from youthapp.models.audit import AuditEvent
from youthapp.models.auth import AuthFailure, AuthSession, RefreshToken
from youthapp.models.checkins import (
    TIMER_STATUSES,
    WEEKDAYS,
    CheckIn,
    CheckInSchedule,
    SafetyTimer,
)
from youthapp.models.devices import PLATFORMS, Device
from youthapp.models.heartbeats import SchedulerHeartbeat
from youthapp.models.idempotency import IdempotencyKey
from youthapp.models.messages import SENDER_ROLES, Message, MessageRead
from youthapp.models.notifications import DELIVERY_STATUSES, NOTIFICATION_KINDS, Notification
from youthapp.models.people import (
    ASSIGNMENT_END_REASONS,
    YOUNG_PERSON_STATUSES,
    Assignment,
    Handover,
    StatusChange,
    YoungPerson,
)
from youthapp.models.plans import (
    GOAL_STATUSES,
    SAFETY_PLAN_SECTIONS,
    Goal,
    PlanChange,
    SafetyPlan,
    Step,
    SupportPlan,
)
from youthapp.models.referrals import REFERRAL_STATUSES, Referral
from youthapp.models.teams import (
    DEFAULT_TEAM_ID,
    DEFAULT_TEAM_NAME,
    TEAM_ROLES,
    Team,
    TeamBorough,
    TeamMember,
)
from youthapp.models.users import MENTOR_SPECIALTIES, REFERRER_TYPES, ROLES, STAFF_ROLES, User

__all__ = [
    "SchedulerHeartbeat",
    "SENDER_ROLES",
    "Message",
    "MessageRead",
    "DEFAULT_TEAM_ID",
    "DEFAULT_TEAM_NAME",
    "TEAM_ROLES",
    "Team",
    "TeamBorough",
    "TeamMember",
    "IdempotencyKey",
    "DELIVERY_STATUSES",
    "PLATFORMS",
    "Device",
    "TIMER_STATUSES",
    "WEEKDAYS",
    "CheckIn",
    "CheckInSchedule",
    "SafetyTimer",
    "ALERT_KINDS",
    "ALERT_RESOLUTIONS",
    "ASSIGNMENT_END_REASONS",
    "Handover",
    "StatusChange",
    "ALERT_STATUSES",
    "APPOINTMENT_MODES",
    "APPOINTMENT_STATUSES",
    "URGENT_KINDS",
    "HIDDEN_FROM_YOUNG_PERSON",
    "SHOWN_RESOLVED_AT",
    "YOUNG_PERSON_RESPONSES",
    "Alert",
    "Appointment",
    "CalendarFeed",
    "GOAL_STATUSES",
    "NOTIFICATION_KINDS",
    "SAFETY_PLAN_SECTIONS",
    "Goal",
    "Notification",
    "PlanChange",
    "SafetyPlan",
    "Step",
    "SupportPlan",
    "MENTOR_SPECIALTIES",
    "REFERRAL_STATUSES",
    "REFERRER_TYPES",
    "ROLES",
    "STAFF_ROLES",
    "YOUNG_PERSON_STATUSES",
    "Assignment",
    "AuditEvent",
    "AuthFailure",
    "AuthSession",
    "RefreshToken",
    "Referral",
    "User",
    "YoungPerson",
]
