from django.db import models


class ChangeType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IMPLEMENTED = "implemented", "Implemented"
    CLOSED = "closed", "Closed"


class Relation(models.TextChoices):
    """How a change stands to an incident: the change that fixes it (SOP 10), the change that
    caused it (the change-failure KPI), or a change requested for it and not yet approved."""

    FIXES = "fixes", "Fixes"
    CAUSED_BY = "caused_by", "Caused by"
    RAISED_FOR = "raised_for", "Raised for"


class LinkRelation(models.TextChoices):
    """The relations link-change/ takes (raised_for is recorded by a change created for an
    incident)."""

    FIXES = "fixes", "Fixes"
    CAUSED_BY = "caused_by", "Caused by"
