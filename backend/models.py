"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from backend.accounts.models import AuthSession, OtpChallenge, User
from backend.audit.models import AuditEntry
from backend.cases.models import Case, CaseCount, CaseDue, CaseFollower, TimelineEntry, TrackingCounter
from backend.catalog.models import Category, Grid, ReplyDeadline
from backend.coordination.models import CoordinationCallback, OutboxEvent
from backend.db import Base
from backend.departments.models import Department
from backend.field.models import (
    GridAssignment,
    PositionCheck,
    RollCall,
    Shift,
    Task,
    TrackBatch,
    TrackPoint,
    VoiceNote,
)
from backend.notify.models import (
    LiveEvent,
    Notification,
    NotificationPreference,
    NotifyEvent,
    PushDelivery,
    PushSubscription,
    SmsOutcome,
)
from backend.open311.models import ApiKey
from backend.quotas.models import QuotaHit
from backend.replies.models import ReplyTemplate
from backend.routing.models import RoutingRule
from backend.uploads.models import Photo

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuthSession",
    "Case",
    "CaseCount",
    "CaseDue",
    "CaseFollower",
    "Category",
    "CoordinationCallback",
    "Department",
    "Grid",
    "GridAssignment",
    "LiveEvent",
    "Notification",
    "NotificationPreference",
    "NotifyEvent",
    "OtpChallenge",
    "OutboxEvent",
    "Photo",
    "PositionCheck",
    "PushDelivery",
    "PushSubscription",
    "QuotaHit",
    "ReplyDeadline",
    "ReplyTemplate",
    "RollCall",
    "RoutingRule",
    "Shift",
    "SmsOutcome",
    "Task",
    "TimelineEntry",
    "TrackBatch",
    "TrackPoint",
    "TrackingCounter",
    "User",
    "VoiceNote",
    "metadata",
]
