from django.db import models


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class RequiredBecause(models.TextChoices):
    """Why the incident needed its PIR (SPEC.md, SOP 14)."""

    HIGH_PRIORITY = "high_priority", "High priority (P1/P2)"
    RECURRING = "recurring", "Recurring incident"
