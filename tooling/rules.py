"""The rules of a tool usage: on which incidents one may be recorded, its text limits, and
when a manual script becomes an automation candidate (seed 002: "If a manual script is used
three times for the same error, treat it as a task for the automation team")."""

from datetime import timedelta

from incidents.choices import ACTIVE_STATUSES, Status
from operations.inputs import TextRules

RECORDABLE_STATES = (*ACTIVE_STATUSES, Status.RESOLVED)
TEXT = TextRules({"action_summary": 4000})
CANDIDATE_USES = 3
CANDIDATE_WINDOW = timedelta(days=30)
