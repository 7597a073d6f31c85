from django.db import models


class Source(models.TextChoices):
    """SPEC.md: an event's source becomes the incident's detection source."""

    MONITORING_TOOL = "monitoring_tool"
    AUTOMATED_ALERT = "automated_alert"


class Severity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Outcome(models.TextChoices):
    OPENED = "opened", "Opened an incident"
    ATTACHED = "attached", "Attached to an open incident"
    STORED = "stored", "Stored only"
