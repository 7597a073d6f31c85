"""The KB article and its published versions.

``status`` is a protected django-fsm field, moved only by the @transition methods below
(no I/O; knowledge.services authorizes, saves and audits). The article row holds the working
copy (title, body, type) and its author; every approval publishes it as a new
``ArticleVersion``, immutable, so earlier versions stay readable while a revision is drafted
or reviewed.
"""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ReferencedModel, TimeStampedModel
from knowledge.choices import ArticleStatus, ArticleType

A = ArticleStatus


class Article(FSMModelMixin, ReferencedModel):
    REFERENCE_PREFIX = "KB"

    title = models.CharField(max_length=200)
    body = models.TextField()
    type = models.CharField(max_length=12, choices=ArticleType.choices)
    status = FSMField(default=A.DRAFT, choices=ArticleStatus.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every operation.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="kb_articles_written",
        help_text="Who wrote the working copy (the revision under review): never its approver.",
    )
    published_number = models.PositiveIntegerField(default=0, help_text="The latest published version.")
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    incidents = models.ManyToManyField("incidents.Incident", related_name="kb_articles", blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "type"], name="kb_status_type")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @transition(field=status, source=A.DRAFT, target=A.IN_REVIEW)
    def submit(self) -> None:
        pass

    @transition(field=status, source=A.IN_REVIEW, target=A.PUBLISHED)
    def approve(self, *, at) -> None:
        self.published_number += 1
        self.published_at = at

    @transition(field=status, source=A.IN_REVIEW, target=A.DRAFT)
    def reject(self) -> None:
        pass

    @transition(field=status, source=A.PUBLISHED, target=A.DRAFT)
    def revise(self, *, author) -> None:
        self.author = author

    @transition(field=status, source=[A.DRAFT, A.IN_REVIEW, A.PUBLISHED], target=A.RETIRED)
    def retire(self, *, at) -> None:
        self.retired_at = at


class ArticleVersion(TimeStampedModel):
    """One published version of an article, as it was approved; never changed."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    type = models.CharField(max_length=12, choices=ArticleType.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique")]

    def __str__(self) -> str:
        return f"{self.article.reference} v{self.number}"
