"""A tool usage (SOP 17): which tool someone used on an incident, what they did with it and
how it turned out. A record of fact: created once, never edited (no lifecycle)."""

from django.conf import settings
from django.db import models

from core.models import ReferencedModel
from tooling.choices import Outcome, Tool


class ToolUsage(ReferencedModel):
    REFERENCE_PREFIX = "TOOL"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="tool_usages")
    tool = models.CharField(max_length=32, choices=Tool.choices, db_index=True)
    action_summary = models.TextField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, db_index=True)
    executor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # the incident's service and category when the tool was used: what "the same kind of
    # incident" means for automation candidates (seed 002: a manual script used three times)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=32)
    automation_candidate = models.BooleanField(default=False, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tool", "service", "category", "created_at"], name="tool_candidate")]

    def __str__(self) -> str:
        return self.reference
