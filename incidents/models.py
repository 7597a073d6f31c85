"""The incident and its lifecycle.

``status`` is a protected django-fsm field: it changes only through the @transition methods
below, which set the fields that belong to each move and do no I/O. Who may call them, and
the audit event, are the business of incidents.services.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ReferencedModel
from incidents.choices import (
    ACTIVE_STATUSES,
    HIGH_PRIORITIES,
    Category,
    ContactMethod,
    DetectionSource,
    EscalationTarget,
    Level,
    Priority,
    Status,
)

S = Status
_ACTIVE = models.Q(status__in=ACTIVE_STATUSES)
_VISIBILITY = ("category", "reporter")  # incidents.selectors.incidents_visible_to
_DEADLINES = (
    "acknowledged_at",
    "acknowledge_warn_at",
    "acknowledge_due_at",
    "resolve_warn_at",
    "resolve_due_at",
)


class Incident(FSMModelMixin, ReferencedModel):
    REFERENCE_PREFIX = "INC"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    detection_source = models.CharField(
        max_length=20, choices=DetectionSource.choices, default=DetectionSource.USER_REPORT
    )
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    subcategory = models.CharField(max_length=100, blank=True)
    impact = models.CharField(max_length=8, choices=Level.choices)
    urgency = models.CharField(max_length=8, choices=Level.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices, db_index=True)
    priority_justification = models.TextField(blank=True)
    status = FSMField(default=S.OPEN, choices=Status.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every operation.")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_incidents"
    )
    affected_service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="incidents"
    )
    assigned_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_incidents",
    )
    escalation_target = models.CharField(max_length=20, choices=EscalationTarget.choices, blank=True)
    escalation_reason = models.TextField(blank=True)
    escalation_count = models.PositiveSmallIntegerField(default=0)

    diagnosis = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    has_workaround = models.BooleanField(default=False)
    resolution_summary = models.TextField(blank=True)
    service_restored = models.BooleanField(default=False)
    closure_notes = models.TextField(blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    incident_commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    technical_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    is_personal_data_breach = models.BooleanField(default=False)
    # opened inside a running simulation (SOP 18, simulations.DrillIncident): an exercise
    is_drill = models.BooleanField(default=False, help_text="Opened inside a running simulation (a drill).")
    breach_notification_due_at = models.DateTimeField(null=True, blank=True)

    detected_at = models.DateTimeField()
    logged_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_stakeholder_update_at = models.DateTimeField(null=True, blank=True)
    # The resolve clock stops while pending_vendor (and while resolved, if reopened): the
    # paused time, in minutes of the SLA clock, moves the resolve deadline.
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, help_text="Wall-clock time with vendors.")
    sla_paused_minutes = models.FloatField(default=0)

    # SLA deadlines (incidents.sla computes them; the sweep selects on sla_next_check_at)
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    acknowledge_warn_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    resolve_warn_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    pir_due_at = models.DateTimeField(null=True, blank=True)
    # when the post-incident review was filed (reviews.services.review_create): no PIR chase after it
    pir_filed_at = models.DateTimeField(null=True, blank=True)
    grace_close_at = models.DateTimeField(null=True, blank=True)
    sla_next_check_at = models.DateTimeField(null=True, blank=True)
    # what the sweep has done, so each automatic action happens once
    acknowledge_warned_at = models.DateTimeField(null=True, blank=True)
    acknowledge_breached_at = models.DateTimeField(null=True, blank=True)
    resolve_warned_at = models.DateTimeField(null=True, blank=True)
    resolve_breached_at = models.DateTimeField(null=True, blank=True)
    unassigned_escalated_at = models.DateTimeField(null=True, blank=True)
    update_missed_for = models.DateTimeField(null=True, blank=True)
    pir_escalated_at = models.DateTimeField(null=True, blank=True)
    breach_notification_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "priority", "created_at"], name="inc_status_prio_created"),
            models.Index(fields=["assigned_team", "status"], name="inc_team_status"),
            models.Index(fields=["assignee", "status"], name="inc_assignee_status"),
            models.Index(fields=["reporter", "created_at"], name="inc_reporter_created"),
            models.Index(fields=["affected_service", "created_at"], name="inc_service_created"),
            models.Index(fields=["category"], name="inc_category"),
            models.Index(
                fields=["sla_next_check_at"],
                condition=models.Q(sla_next_check_at__isnull=False),
                name="inc_sla_next_check",
            ),
            # The workspace's queues of active incidents, newest first: each reads its page
            # and its capped count from one of these, however many incidents are closed. The
            # trailing columns are what the queue also tests (visibility: category and
            # reporter; "Breaching soon": the deadlines), so a count reads the index only.
            models.Index(
                fields=["assignee", "-created_at", *_VISIBILITY],
                condition=_ACTIVE,
                name="inc_active_assignee_new",
            ),
            models.Index(
                fields=["assigned_team", "-created_at", *_VISIBILITY],
                condition=_ACTIVE,
                name="inc_active_team_new",
            ),
            # (PostgreSQL orders by created_at through the team index for one team, but not
            # for "assigned_team IS NULL": unassigned incidents have their own)
            models.Index(
                fields=["-created_at", *_VISIBILITY],
                condition=_ACTIVE & models.Q(assigned_team__isnull=True),
                name="inc_unassigned_new",
            ),
            models.Index(
                fields=["-created_at", *_VISIBILITY, *_DEADLINES], condition=_ACTIVE, name="inc_active_new"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    # ---- derived ------------------------------------------------------------------------
    @property
    def is_major(self) -> bool:
        return self.priority == Priority.P1

    @property
    def is_high_priority(self) -> bool:
        return self.priority in HIGH_PRIORITIES

    @property
    def is_security(self) -> bool:
        return self.category == Category.SECURITY

    @property
    def grace_period_ends_at(self) -> datetime | None:
        """Until when a resolved incident may be reopened (and a P3/P4 awaits confirmation)."""
        if self.status != S.RESOLVED or self.resolved_at is None:
            return None
        return self.resolved_at + timedelta(days=settings.IMS_GRACE_PERIOD_DAYS)

    def flag_personal_data_breach(self, flagged: bool) -> None:
        """Set the personal-data-breach flag and its notification deadline (SPEC.md: by
        default 72 h from detection), or clear both."""
        self.is_personal_data_breach = flagged
        self.breach_notification_due_at = (
            self.detected_at + timedelta(hours=settings.IMS_BREACH_NOTIFICATION_HOURS) if flagged else None
        )

    # ---- transitions (no I/O; services authorize, save and audit) ------------------------
    @transition(field=status, source=[S.OPEN, S.IN_PROGRESS, S.ESCALATED], target=S.IN_PROGRESS)
    def assign(self, *, team, assignee, at) -> None:
        self.assigned_team = team
        self.assignee = assignee
        if self.acknowledged_at is None:
            self.acknowledged_at = at

    @transition(field=status, source=[S.OPEN, S.IN_PROGRESS, S.ESCALATED], target=S.ESCALATED)
    def escalate(self, *, target, team, reason, at) -> None:
        self.escalation_target = target
        self.escalation_reason = reason
        self.escalation_count += 1
        self.assigned_team = team
        self.assignee = None
        self.escalated_at = at

    @transition(field=status, source=[S.IN_PROGRESS, S.ESCALATED], target=S.PENDING_VENDOR)
    def engage_vendor(self, *, at) -> None:
        self.paused_since = at

    @transition(field=status, source=S.PENDING_VENDOR, target=S.IN_PROGRESS)
    def vendor_responded(self, *, at, paused_minutes: float = 0) -> None:
        if self.paused_since is not None:
            self.paused_seconds += int((at - self.paused_since).total_seconds())
        self.sla_paused_minutes += paused_minutes
        self.paused_since = None

    @transition(field=status, source=[S.IN_PROGRESS, S.ESCALATED, S.PENDING_VENDOR], target=S.RESOLVED)
    def resolve(self, *, summary, at, paused_minutes: float = 0) -> None:
        if self.paused_since is not None:  # resolved while waiting on the vendor
            self.paused_seconds += int((at - self.paused_since).total_seconds())
            self.sla_paused_minutes += paused_minutes
            self.paused_since = None
        self.resolution_summary = summary
        self.service_restored = True
        self.resolved_at = at

    @transition(field=status, source=S.RESOLVED, target=S.CLOSED)
    def close(self, *, notes, at) -> None:
        self.closure_notes = notes
        self.closed_at = at

    @transition(field=status, source=S.RESOLVED, target=S.IN_PROGRESS)
    def reopen(self, *, at, paused_minutes: float = 0) -> None:
        # the time spent resolved does not count against the resolve target
        self.sla_paused_minutes += paused_minutes
        self.reopen_count += 1
        self.resolved_at = None
        self.service_restored = False


class VendorEngagement(ReferencedModel):
    """SOP 9: a vendor engaged on an incident; the incident waits in pending_vendor."""

    REFERENCE_PREFIX = "VEN"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="vendor_engagements")
    vendor = models.ForeignKey("catalog.Vendor", on_delete=models.PROTECT, related_name="engagements")
    contact_method = models.CharField(max_length=16, choices=ContactMethod.choices)
    vendor_reference = models.CharField(max_length=100, blank=True)
    engaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    engaged_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    response_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-engaged_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.vendor.name} on {self.incident.reference}"


class IncidentTally(models.Model):
    """How many incidents there are in each visibility bucket (``security`` and ``other``),
    kept by database triggers on every insert, delete and change of category
    (incidents.tally), so the unfiltered list's ``count`` is read, not counted."""

    bucket = models.CharField(max_length=16, primary_key=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "incident tallies"

    def __str__(self) -> str:
        return f"{self.bucket}: {self.n}"
