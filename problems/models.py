"""The problem, its links to incidents, and the problem policy.

``status`` is a protected django-fsm field: it changes only through the @transition methods
below, which set the fields that belong to each move and do no I/O. Who may call them, the
preconditions that need the database (the stability window, recurrences) and the audit
events are the business of problems.services.

    new ──start_investigation──▶ under_investigation ──record_workaround──▶ known_error
                                        │  ▲                                   │
                                        │  └──start_investigation (the fix     │
                                        │     did not hold) ── resolved ◀──────┘ resolve
                                        └──────────────resolve──────────────▶ resolved ──close──▶ closed

A fix may be found without a workaround: ``resolve`` starts from under_investigation as
well as from known_error. A resolved problem whose linked incidents recur cannot close; its
investigation is reopened (``start_investigation`` from resolved) to find a lasting fix.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ReferencedModel
from problems.choices import ProblemStatus

P = ProblemStatus


class Problem(FSMModelMixin, ReferencedModel):
    REFERENCE_PREFIX = "PRB"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    affected_service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="problems")
    status = FSMField(default=P.NEW, choices=ProblemStatus.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every operation.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="problems_created"
    )
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems_assigned",
    )

    symptom = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    fix_summary = models.TextField(blank=True)
    validation_evidence = models.TextField(blank=True)
    closure_notes = models.TextField(blank=True)

    investigation_started_at = models.DateTimeField(null=True, blank=True)
    known_error_at = models.DateTimeField(
        null=True, blank=True, help_text="When its workaround was recorded."
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    incidents = models.ManyToManyField(
        "incidents.Incident", through="ProblemIncident", related_name="problems", blank=True
    )
    articles = models.ManyToManyField("knowledge.Article", related_name="problems", blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the duplicate check at creation: the active problems of one service
            models.Index(fields=["affected_service", "status"], name="prb_service_status"),
            models.Index(fields=["status", "created_at"], name="prb_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_known_error(self) -> bool:
        """Seed 001's ``known_error`` attribute: a workaround was recorded."""
        return self.known_error_at is not None

    def stability_window_ends_at(self, days: int) -> datetime | None:
        """When a resolved problem may close, its fix having held for ``days``."""
        if self.status != P.RESOLVED or self.resolved_at is None:
            return None
        return self.resolved_at + timedelta(days=days)

    # ---- transitions (no I/O; services authorize, save and audit) ------------------------
    @transition(field=status, source=[P.NEW, P.RESOLVED], target=P.UNDER_INVESTIGATION)
    def start_investigation(self, *, at) -> None:
        if self.investigation_started_at is None:
            self.investigation_started_at = at
        # reopened because the fix did not hold: the next resolve records a new fix
        self.resolved_at = None
        self.fix_summary = ""
        self.validation_evidence = ""

    @transition(field=status, source=P.UNDER_INVESTIGATION, target=P.KNOWN_ERROR)
    def record_workaround(self, *, symptom: str, root_cause: str, workaround: str, at) -> None:
        self.symptom = symptom
        self.root_cause = root_cause
        self.workaround = workaround
        self.known_error_at = at

    @transition(field=status, source=[P.UNDER_INVESTIGATION, P.KNOWN_ERROR], target=P.RESOLVED)
    def resolve(self, *, fix_summary: str, validation_evidence: str, at) -> None:
        self.fix_summary = fix_summary
        self.validation_evidence = validation_evidence
        self.resolved_at = at

    @transition(field=status, source=P.RESOLVED, target=P.CLOSED)
    def close(self, *, notes: str, at) -> None:
        self.closure_notes = notes
        self.closed_at = at


class ProblemIncident(models.Model):
    """An incident caused by a problem: one link, seen from both records."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="problem_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problem_incident_unique")
        ]

    def __str__(self) -> str:
        return f"{self.problem.reference} ↔ {self.incident.reference}"


DEFAULT_STABILITY_WINDOW_DAYS = 7


class ProblemPolicy(models.Model):
    """How long a fix must hold before its problem closes (SPEC.md: by default 7 days since
    resolved). One row, edited in the admin by administrators and incident managers."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    stability_window_days = models.PositiveSmallIntegerField(
        default=DEFAULT_STABILITY_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days a resolved problem waits, with no linked incident recurring, before it may close.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "problem policy"
        verbose_name_plural = "problem policy"

    def __str__(self) -> str:
        return "Problem policy"

    @classmethod
    def current(cls) -> "ProblemPolicy":
        """The policy row (its defaults if it was never written)."""
        return cls.objects.filter(pk=cls.SINGLETON).first() or cls()
