"""SLA policy as data, versioned: an incident is measured against the version current when
it was logged; a new version applies to incidents logged after it."""

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Clock(models.TextChoices):
    ALWAYS = "24x7", "24×7"
    BUSINESS_HOURS = "business_hours", "Business hours"


class SlaPolicy(TimeStampedModel):
    version = models.PositiveIntegerField(unique=True, editable=False)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = "SLA policy version"

    def __str__(self) -> str:
        return f"SLA policy v{self.version}"


class SlaTarget(models.Model):
    """Targets for one priority. Durations are minutes on the target's clock; a business
    day is 8 business hours (480 minutes)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="targets")
    priority = models.CharField(max_length=2)
    acknowledge_minutes = models.PositiveIntegerField()
    resolve_minutes = models.PositiveIntegerField()
    update_every_minutes = models.PositiveIntegerField(null=True, blank=True)
    clock = models.CharField(max_length=16, choices=Clock.choices)

    class Meta:
        ordering = ["priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_once_per_priority")
        ]

    def __str__(self) -> str:
        return f"v{self.policy.version} {self.priority}"


class SlaEvent(models.Model):
    """Something the SLA engine did to an incident, recorded once (unique per kind and due
    time): warnings, breaches, escalations, flags, automatic closure."""

    class Kind(models.TextChoices):
        ACKNOWLEDGE_WARNING = "acknowledge_warning"
        ACKNOWLEDGE_BREACH = "acknowledge_breach"
        RESOLVE_WARNING = "resolve_warning"
        RESOLVE_BREACH = "resolve_breach"
        UNASSIGNED_ESCALATION = "unassigned_escalation"
        UPDATE_MISSED = "update_missed"
        PIR_OVERDUE = "pir_overdue"
        BREACH_NOTIFICATION_DUE = "breach_notification_due"
        AUTO_CLOSED = "auto_closed"

    subject_ref = models.CharField(max_length=20, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    due_at = models.DateTimeField()
    occurred_at = models.DateTimeField()
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["subject_ref", "kind", "due_at"], name="sla_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.subject_ref} {self.kind} (due {self.due_at:%Y-%m-%d %H:%M})"
