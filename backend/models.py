"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from backend.accounts.models import OtpChallenge, User
from backend.cases.models import Case, CaseFollower, TimelineEntry, TrackingCounter
from backend.catalog.models import Category, Grid
from backend.coordination.models import OutboxEvent
from backend.db import Base
from backend.uploads.models import Photo

metadata = Base.metadata

__all__ = [
    "Case",
    "CaseFollower",
    "Category",
    "Grid",
    "OtpChallenge",
    "OutboxEvent",
    "Photo",
    "TimelineEntry",
    "TrackingCounter",
    "User",
    "metadata",
]
