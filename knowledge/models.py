"""The KB article, its published versions and the patterns of secrets an article may not hold.

``status`` is a protected django-fsm field, moved only by the @transition methods below
(no I/O; knowledge.services authorizes, saves and audits). The article row holds the working
copy (title, body, type), its author and whoever else edited it; every approval publishes it
as a new ``ArticleVersion``, immutable, and points ``published_version`` at it, so readers
keep reading that version while a revision is drafted or reviewed.

The two search vectors (PostgreSQL only; knowledge.search) are kept by the services on every
write: ``search_vector`` of the working copy (what staff search), ``published_search_vector``
of the published version (what readers search).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ReferencedModel, TimeStampedModel
from knowledge.choices import ArticleStatus, ArticleType
from knowledge.fields import SearchVectorOrTextField

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
    editor_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="Who else edited the working copy (user ids): none of them approves it either.",
    )
    review_note = models.TextField(blank=True, help_text="The last reviewer's reason or comment.")
    published_number = models.PositiveIntegerField(default=0, help_text="The latest published version.")
    published_version = models.ForeignKey(
        "ArticleVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="What readers read: the latest published version.",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    incidents = models.ManyToManyField("incidents.Incident", related_name="kb_articles", blank=True)
    search_vector = SearchVectorOrTextField(null=True, blank=True, editable=False)
    published_search_vector = SearchVectorOrTextField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "type"], name="kb_status_type")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def wrote(self, user) -> bool:
        """Whether ``user`` wrote or edited the working copy (segregation of duties)."""
        return user.pk == self.author_id or user.pk in (self.editor_ids or [])

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
        self.editor_ids = []
        self.review_note = ""

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

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self}: a published version is never changed; publish a new one.")
        super().save(*args, **kwargs)


class SecretPattern(TimeStampedModel):
    """What an article may not contain (knowledge.secrets): a regular expression matched
    against each line of its title and body. Configuration, edited in the admin (audited);
    payment card numbers are found by code (the Luhn check), not by a pattern."""

    name = models.CharField(max_length=60, unique=True)
    looks_like = models.CharField(
        max_length=80, help_text='How the refusal names a match: "Line 3 looks like <this>".'
    )
    regex = models.TextField(help_text="A Python regular expression; (?i) at its start ignores case.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            re.compile(self.regex)
        except re.error as exc:
            raise ValidationError({"regex": f"Not a valid regular expression: {exc}."}) from exc
