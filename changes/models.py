"""The change request and its links to incidents.

``status`` is a protected django-fsm field, moved only by the @transition methods below
(no I/O; changes.services authorizes, saves and audits):

    pending ──approve──▶ approved ──implement──▶ implemented ──close──▶ closed
       │  └─reject──▶ rejected                      ▲   └─approve_retrospectively (stays)
       └──implement_bypassing_cab (emergency) ──────┘

A standard change is pre-approved: created straight into ``approved`` (``preapprove``). An
emergency change may be implemented before approval (the CAB bypass, flagged
``cab_bypassed``); it then awaits a retrospective approval, without which it cannot close.
"""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from changes.choices import ChangeStatus, ChangeType, Relation, Risk
from core.models import ReferencedModel, TimeStampedModel

S = ChangeStatus


class Change(FSMModelMixin, ReferencedModel):
    REFERENCE_PREFIX = "CHG"

    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=10, choices=ChangeType.choices)
    risk = models.CharField(max_length=8, choices=Risk.choices)
    window_start = models.DateTimeField(null=True, blank=True, help_text="Implementation window: start.")
    window_end = models.DateTimeField(null=True, blank=True, help_text="Implementation window: end.")
    rollback_plan = models.TextField(blank=True)
    affected_services = models.ManyToManyField("catalog.Service", related_name="changes", blank=True)
    articles = models.ManyToManyField("knowledge.Article", related_name="changes", blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="changes_requested"
    )
    status = FSMField(default=S.PENDING, choices=ChangeStatus.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every operation.")

    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes_approved",
        help_text="The change manager who approved it (none for a pre-approved standard change).",
    )
    approval_comment = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)

    cab_bypassed = models.BooleanField(
        default=False, help_text="Implemented before approval (emergency, by an incident manager)."
    )
    approved_retrospectively = models.BooleanField(default=False)
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    implemented_at = models.DateTimeField(null=True, blank=True)
    implementation_note = models.TextField(blank=True)

    success = models.BooleanField(null=True, blank=True, help_text="Set at close: did the change work?")
    failure_reason = models.TextField(blank=True)
    closure_note = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="chg_status_created"),
            models.Index(fields=["implemented_at"], name="chg_implemented_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="chg_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    # ---- guards ------------------------------------------------------------------------
    @property
    def awaits_retrospective_approval(self) -> bool:
        """Implemented under CAB bypass and not approved since."""
        return self.cab_bypassed and self.approved_at is None

    def is_emergency(self) -> bool:
        return self.type == ChangeType.EMERGENCY

    def approval_settled(self) -> bool:
        return not self.awaits_retrospective_approval

    # ---- transitions -------------------------------------------------------------------
    @transition(field=status, source=S.PENDING, target=S.APPROVED)
    def preapprove(self, *, at) -> None:
        """A standard change, approved by its type when it is requested."""
        self.approved_at = at

    @transition(field=status, source=S.PENDING, target=S.APPROVED)
    def approve(self, *, by, at, comment: str) -> None:
        self.approver, self.approved_at, self.approval_comment = by, at, comment

    @transition(
        field=status, source=S.IMPLEMENTED, target=S.IMPLEMENTED,
        conditions=[lambda change: change.awaits_retrospective_approval],
    )  # fmt: skip
    def approve_retrospectively(self, *, by, at, comment: str) -> None:
        self.approver, self.approved_at, self.approval_comment = by, at, comment
        self.approved_retrospectively = True

    @transition(field=status, source=S.PENDING, target=S.REJECTED)
    def reject(self, *, by, at, reason: str) -> None:
        self.rejected_by, self.rejected_at, self.rejection_reason = by, at, reason

    @transition(field=status, source=S.APPROVED, target=S.IMPLEMENTED)
    def implement(self, *, by, at, note: str) -> None:
        self.implemented_by, self.implemented_at, self.implementation_note = by, at, note

    @transition(field=status, source=S.PENDING, target=S.IMPLEMENTED, conditions=[is_emergency])
    def implement_bypassing_cab(self, *, by, at, note: str) -> None:
        self.implemented_by, self.implemented_at, self.implementation_note = by, at, note
        self.cab_bypassed = True

    @transition(field=status, source=S.IMPLEMENTED, target=S.CLOSED, conditions=[approval_settled])
    def close(self, *, by, at, success: bool, failure_reason: str, note: str) -> None:
        self.closed_by, self.closed_at = by, at
        self.success, self.failure_reason, self.closure_note = success, failure_reason, note


class ChangeIncidentLink(TimeStampedModel):
    """A change and an incident, and how they stand to each other (``relation``): once per
    pair and relation; an incident records at most one change as its cause."""

    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="change_links")
    relation = models.CharField(max_length=10, choices=Relation.choices, default=Relation.FIXES)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "incident", "relation"], name="chg_link_unique"),
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(relation=Relation.CAUSED_BY),
                name="chg_one_cause_per_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.relation} {self.change_id}"
