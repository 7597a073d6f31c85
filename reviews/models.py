"""The post-incident review, its action items, and the policy that says when one is owed.

``Review.status`` and ``ActionItem.status`` are protected django-fsm fields moved only by
the @transition methods below (no I/O; reviews.services authorizes, saves and audits).
One review per incident. Its action items are numbered from 1 within it (``PIR-000004``
item 2), and keep ``chased_at``: the overdue chase's once-per-item marker.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ReferencedModel, TimeStampedModel
from reviews.choices import ActionItemStatus, RequiredBecause, ReviewStatus

R = ReviewStatus
A = ActionItemStatus


class Review(FSMModelMixin, ReferencedModel):
    REFERENCE_PREFIX = "PIR"

    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="review")
    status = FSMField(default=R.DRAFT, choices=ReviewStatus.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every operation.")
    required_because = models.CharField(max_length=16, choices=RequiredBecause.choices)
    # blameless: what happened and why, never who is to blame
    timeline = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    lessons = models.TextField(blank=True)
    kb_articles = models.ManyToManyField("knowledge.Article", related_name="reviews", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reference} of {self.incident.reference}" if self.incident_id else self.reference

    @transition(field=status, source=R.DRAFT, target=R.COMPLETED)
    def complete(self, *, by, at) -> None:
        self.completed_by = by
        self.completed_at = at


class ActionItem(FSMModelMixin, TimeStampedModel):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="action_items")
    number = models.PositiveIntegerField(help_text="1, 2, … within its review.")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    status = FSMField(default=A.OPEN, choices=ActionItemStatus.choices, protected=True)
    done_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    chased_at = models.DateTimeField(null=True, blank=True, help_text="When the overdue chase notified.")

    class Meta:
        ordering = ["review", "number"]
        constraints = [models.UniqueConstraint(fields=["review", "number"], name="review_item_number")]
        indexes = [
            models.Index(fields=["owner", "status"], name="review_item_owner_status"),
            # what the chase selects: open, not yet chased, by due date
            models.Index(
                fields=["due_date"],
                condition=models.Q(status="open", chased_at__isnull=True, due_date__isnull=False),
                name="review_item_to_chase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review.reference} item {self.number}" if self.review_id else f"item {self.number}"

    def label(self, reference: str | None = None) -> str:
        return f"action item {self.number} of {reference or self.review.reference}"

    @transition(field=status, source=A.OPEN, target=A.DONE)
    def mark_done(self, *, at) -> None:
        self.done_at = at

    @transition(field=status, source=A.OPEN, target=A.CANCELLED)
    def cancel(self, *, at) -> None:
        self.cancelled_at = at


class ReviewPolicy(models.Model):
    """When a P3/P4 incident recurs enough to owe a PIR (SPEC.md: 3 or more on the same
    service and category within 30 days). One row, edited in the admin (audited)."""

    SINGLETON = 1

    recurrence_count = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text="Incidents on the same service and category that make them recurring.",
    )
    recurrence_window_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Within how many days those incidents are detected.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "review policy"
        verbose_name_plural = "review policy"

    def __str__(self) -> str:
        return f"PIR for {self.recurrence_count} incidents within {self.recurrence_window_days} days"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "ReviewPolicy":
        """The policy row, or the defaults while there is none (a fresh test database)."""
        return cls.objects.filter(pk=cls.SINGLETON).first() or cls()
