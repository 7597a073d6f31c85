"""The incident on the shared operation path (operations.path): its visibility, policy and
state rules; the SLA deadlines every incident save recomputes; and the incident's rules of
input (text limits, references). The SOP modules beside this one are its operations.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from audit.services import build_event
from communications.models import Communication, Recipients
from incidents.choices import ACTIVE_STATUSES, Status
from incidents.models import Incident
from incidents.policy import authorize, offered
from incidents.selectors import incidents_visible_to
from incidents.sla import refresh_deadlines
from operations import inputs
from operations.inputs import TextRules
from operations.path import Governed, state_rules

S = Status

DUPLICATE_WINDOW = timedelta(hours=24)
# how far a given detection time may lie ahead of our clock (the sender's clock drifts)…
CLOCK_SKEW = timedelta(minutes=5)
# …and behind it: an SLA clock started further back measures nothing
DETECTED_AT_MAX_AGE = timedelta(days=90)
# the teams that may see security incidents (SPEC.md), so the only ones that can work them
SECURITY_TEAMS = ("L3", "incident_manager")
DUPLICATE_SIMILARITY = 0.6
PUBLIC_RECIPIENTS = (
    Recipients.END_USERS,
    Recipients.STAKEHOLDERS,
    Recipients.EXECUTIVES,
    Recipients.IT_STAFF,
)

# operation -> (states it may start from, past participle for messages); the moves the
# model's transitions make take their states from the transition's ``source``
_ACTIVE_OR_RESOLVED = (*ACTIVE_STATUSES, S.RESOLVED)
STATE_RULES = state_rules(
    {
        "log": (ACTIVE_STATUSES, "logged"),
        "edit": (ACTIVE_STATUSES, "edited"),
        "categorize": (ACTIVE_STATUSES, "categorized"),
        "prioritize": (ACTIVE_STATUSES, "prioritized"),
        "diagnose": (ACTIVE_STATUSES, "diagnosed"),
        "assign": (Incident.assign, "assigned"),
        "escalate": (Incident.escalate, "escalated"),
        "engage_vendor": (Incident.engage_vendor, "handed to a vendor"),
        "vendor_responded": (Incident.vendor_responded, "marked as answered by the vendor"),
        "resolve": (Incident.resolve, "resolved"),
        "communicate": (_ACTIVE_OR_RESOLVED, "communicated on"),
        "comment": (_ACTIVE_OR_RESOLVED, "commented on"),
        "close": (Incident.close, "closed"),
        "confirm": (Incident.close, "confirmed as restored"),  # confirming closes it
        "reopen": (Incident.reopen, "reopened"),
        "set_major_roles": (_ACTIVE_OR_RESOLVED, "given major-incident roles"),
    }
)

INCIDENTS = Governed(
    model=Incident,
    visible_to=incidents_visible_to,
    authorize=authorize,
    rules=STATE_RULES,
    noun="incident",
    related=("assigned_team", "affected_service__calendar", "sla_policy"),
    offers=offered,
)
_lock = INCIDENTS.lock
_operation = INCIDENTS.operation
_operation_or_system = INCIDENTS.operation_or_system
_require_state = INCIDENTS.require_state

DEADLINE_FIELDS = ("acknowledge_due_at", "resolve_due_at", "next_update_due_at")


def _save(
    incident: Incident,
    *,
    action: str,
    actor,
    changes: dict,
    extra: dict | None = None,
    notified: Communication | None = None,
) -> Incident:
    """Recompute the SLA deadlines, save, and write the operation's audit event (which also
    records any deadline the operation moved). ``notified``: a message the operation sent
    besides its change (SOP 6's acknowledgement), audited as its own ``notify`` event in
    the same write, before the operation's own."""
    before = {f: getattr(incident, f) for f in DEADLINE_FIELDS}
    refresh_deadlines(incident)
    for field in DEADLINE_FIELDS:
        after = getattr(incident, field)
        if before[field] != after and field not in changes:
            changes[field] = [
                before[field].isoformat() if before[field] else None,
                after.isoformat() if after else None,
            ]
    notice = ()
    if notified is not None:
        notice = (
            build_event(
                action="notify",
                obj=incident,
                actor=actor,
                changes={"communication": [None, notified.reference]},
                extra={"kind": notified.kind, "recipients": notified.recipients},
            ),
        )
    return INCIDENTS.save(incident, action=action, actor=actor, changes=changes, extra=extra, before=notice)


# the longest text each field takes (issue 15 #6: a 2.6 MB description was accepted), and
# what a field that grows with every log entry may reach in all
TEXT_LIMITS = {
    "title": 200,
    "subcategory": 100,
    "vendor_reference": 100,
    "description": 10_000,
    "diagnosis": 10_000,
    "steps": 10_000,
    "workaround": 10_000,
    "resolution_summary": 10_000,
    "closure_notes": 5_000,
    "message": 4_000,
    "justification": 2_000,
    "priority_justification": 2_000,
    "reason": 2_000,
    "note": 2_000,
}
ACCUMULATED_LIMIT = 100_000
_TEXT = TextRules(TEXT_LIMITS, ACCUMULATED_LIMIT)
_text = _TEXT.text
_required = _TEXT.required
_appended = _TEXT.appended
_max_length = inputs.max_length
_choice = inputs.choice
_active_service = inputs.active_service
_active_user = inputs.active_user
_team = inputs.team


def _system_time(actor, at: datetime | None) -> datetime:
    """When an operation happens: now for people; the system may act as of ``at`` (the SLA
    sweep run for a given moment, ``sla_sweep --now``)."""
    if at is not None and actor is not None:
        raise ValueError("only the system acts as of a given time")
    return at or timezone.now()
