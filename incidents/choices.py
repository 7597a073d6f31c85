from django.db import models


class DetectionSource(models.TextChoices):
    USER_REPORT = "user_report"
    MONITORING_TOOL = "monitoring_tool"
    AUTOMATED_ALERT = "automated_alert"


class Category(models.TextChoices):
    HARDWARE = "hardware"
    SOFTWARE = "software"
    SECURITY = "security"
    PERFORMANCE = "performance"
    NETWORK = "network"
    OTHER = "other"


class Level(models.TextChoices):
    """Impact and urgency (the policy's "severity" is impact)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Priority(models.TextChoices):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


HIGH_PRIORITIES = frozenset({Priority.P1, Priority.P2})

PRIORITY_MATRIX = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P4,
}


def priority_for(impact: str, urgency: str) -> Priority:
    """The impact × urgency matrix of SPEC.md."""
    return PRIORITY_MATRIX[(Level(impact), Level(urgency))]


class Status(models.TextChoices):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    PENDING_VENDOR = "pending_vendor"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.ESCALATED, Status.PENDING_VENDOR)


class AssignmentTeam(models.TextChoices):
    SERVICE_DESK = "service_desk"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    FACILITIES = "facilities"
    CHANGE_MGMT = "change_mgmt"
    DEVOPS = "devops"


class EscalationTarget(models.TextChoices):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    INCIDENT_MANAGER = "incident_manager"
    CHANGE_MGMT = "change_mgmt"
    FACILITIES = "facilities"
    DEVOPS = "devops"


class ContactMethod(models.TextChoices):
    PHONE = "phone"
    EMAIL = "email"
    VENDOR_PORTAL = "vendor_portal"
    API = "API"


# The automatic escalation path (SPEC.md: SLAs and escalations).
ESCALATION_PATH = ("service_desk", "L1", "L2", "L3", "incident_manager")


def next_escalation_step(team_code: str | None, *, security: bool = False) -> str | None:
    """The team one step up the path from ``team_code`` (None: already at the top). A
    security incident skips the teams that may not see it: its path is L3 → incident_manager."""
    if security:
        return {"L3": "incident_manager", "incident_manager": None}.get(team_code or "", "L3")
    if team_code is None:
        return "L1"
    if team_code in ESCALATION_PATH:
        index = ESCALATION_PATH.index(team_code)
        return ESCALATION_PATH[index + 1] if index + 1 < len(ESCALATION_PATH) else None
    return "incident_manager"
