from django.db import models

from core.models import ReferencedModel, TimeStampedModel
from incidents.choices import Category, Level
from monitoring.choices import Outcome, Severity, Source

RAW_LIMIT = 8 * 1024  # bytes of the raw payload kept on an event (never in the audit trail)


class IntakeRule(TimeStampedModel):
    """Which events open an incident, and with what category, impact and urgency (SPEC.md,
    Monitoring intake). Data, edited in the admin and audited; the first active rule in
    ``priority`` order whose non-blank criteria all match decides; no match: stored only."""

    name = models.CharField(max_length=100, unique=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower numbers are tried first.")
    is_active = models.BooleanField(default=True)
    source = models.CharField(max_length=20, choices=Source.choices, blank=True, help_text="Blank: any.")
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Blank: any.",
    )  # fmt: skip
    alert_type = models.CharField(max_length=100, blank=True, help_text="Blank: any.")
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True, help_text="Blank: any.")
    opens_incident = models.BooleanField(default=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    impact = models.CharField(max_length=10, choices=Level.choices, default=Level.HIGH)
    urgency = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.priority}: {self.name}"

    def matches(self, *, source: str, service_id: int, alert_type: str, severity: str) -> bool:
        return (
            (not self.source or self.source == source)
            and (self.service_id is None or self.service_id == service_id)
            and (not self.alert_type or self.alert_type == alert_type)
            and (not self.severity or self.severity == severity)
        )


class Event(ReferencedModel):
    """One monitoring event (SOP 16), idempotent by the sender's ``event_id`` per source."""

    REFERENCE_PREFIX = "EVT"

    source = models.CharField(max_length=20, choices=Source.choices)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    alert_type = models.CharField(max_length=100)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    occurred_at = models.DateTimeField()
    event_id = models.CharField(max_length=200, blank=True, help_text="The sender's id (idempotency).")
    dedup_key = models.CharField(max_length=200, db_index=True)
    summary = models.CharField(max_length=500, blank=True)
    raw = models.TextField(blank=True, help_text=f"The payload as received, cut at {RAW_LIMIT} bytes.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.STORED)
    rule = models.ForeignKey(IntakeRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_events",
    )
    posted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_id"], condition=~models.Q(event_id=""), name="event_id_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.alert_type} ({self.severity})"


class IncidentAlert(TimeStampedModel):
    """The de-duplication row: one per (incident, dedup key), counting the events that
    attached to the incident instead of opening another."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="alerts")
    dedup_key = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "dedup_key"], name="alert_per_incident_key")
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key} ×{self.count}"
