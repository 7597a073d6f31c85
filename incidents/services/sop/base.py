"""The machinery every incident operation shares: lock the row through the actor's
visibility, authorize, check the version and the state, validate input, save with the
operation's audit event; and the rules of input (text limits, enums, references).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from audit.services import append_events, build_event
from catalog.models import Service
from communications.models import Communication, Recipients
from core.errors import DomainError, ErrorCode, not_found, validation_error
from core.models import drop_stale_relations
from incidents.choices import (
    ACTIVE_STATUSES,
    Status,
)
from incidents.models import Incident
from incidents.policy import authorize
from incidents.selectors import incidents_visible_to
from incidents.sla import refresh_deadlines

User = get_user_model()
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

# operation -> (states it may start from, past participle for messages)
STATE_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "log": (ACTIVE_STATUSES, "logged"),
    "edit": (ACTIVE_STATUSES, "edited"),
    "categorize": (ACTIVE_STATUSES, "categorized"),
    "prioritize": (ACTIVE_STATUSES, "prioritized"),
    "diagnose": (ACTIVE_STATUSES, "diagnosed"),
    "assign": ((S.OPEN, S.IN_PROGRESS, S.ESCALATED), "assigned"),
    "escalate": ((S.OPEN, S.IN_PROGRESS, S.ESCALATED), "escalated"),
    "engage_vendor": ((S.IN_PROGRESS, S.ESCALATED), "handed to a vendor"),
    "vendor_responded": ((S.PENDING_VENDOR,), "marked as answered by the vendor"),
    "resolve": ((S.IN_PROGRESS, S.ESCALATED, S.PENDING_VENDOR), "resolved"),
    "communicate": ((*ACTIVE_STATUSES, S.RESOLVED), "communicated on"),
    "comment": ((*ACTIVE_STATUSES, S.RESOLVED), "commented on"),
    "close": ((S.RESOLVED,), "closed"),
    "confirm": ((S.RESOLVED,), "confirmed as restored"),
    "reopen": ((S.RESOLVED,), "reopened"),
    "set_major_roles": ((*ACTIVE_STATUSES, S.RESOLVED), "given major-incident roles"),
}


def _join(states) -> str:
    states = [str(s) for s in states]
    return states[0] if len(states) == 1 else ", ".join(states[:-1]) + " or " + states[-1]


def _require_state(incident: Incident, operation: str) -> None:
    states, participle = STATE_RULES[operation]
    if incident.status not in states:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"{incident.reference} is {incident.status}; only an incident that is "
            f"{_join(states)} can be {participle}.",
        )


def _ref(incident: Incident | str) -> str:
    return incident if isinstance(incident, str) else incident.reference


def _lock(queryset, incident: Incident | str) -> Incident:
    """The incident of ``queryset`` under SELECT … FOR UPDATE, with what operations read of
    it (current, however long the lock waited), or not_found."""
    locked = (
        queryset.select_for_update(of=("self",))
        .select_related("assigned_team", "affected_service__calendar", "sla_policy")
        .filter(reference=_ref(incident))
        .first()
    )
    if locked is None:
        raise not_found(f"Incident {_ref(incident)}")
    return drop_stale_relations(locked)


@contextmanager
def _operation(incident: Incident | str, actor, operation: str, expected_version: int | None) -> Iterator:
    """Lock the incident for ``operation`` by ``actor``; run the body in one transaction."""
    with transaction.atomic():
        locked = _lock(incidents_visible_to(actor), incident)
        authorize(actor, operation, locked)
        if expected_version is not None and locked.version != expected_version:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"{locked.reference} changed since you loaded it (version {expected_version}, "
                f"now {locked.version}). Reload it and try again.",
                {"version": locked.version},
            )
        _require_state(locked, operation)
        yield locked


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
    the same write."""
    before = {f: getattr(incident, f) for f in DEADLINE_FIELDS}
    refresh_deadlines(incident)
    for field in DEADLINE_FIELDS:
        after = getattr(incident, field)
        if before[field] != after and field not in changes:
            changes[field] = [
                before[field].isoformat() if before[field] else None,
                after.isoformat() if after else None,
            ]
    incident.version += 1
    incident.save()
    events = [build_event(action=action, obj=incident, actor=actor, changes=changes, extra=extra)]
    if notified is not None:  # the message first, so the operation's own event is the head
        events.insert(
            0,
            build_event(
                action="notify",
                obj=incident,
                actor=actor,
                changes={"communication": [None, notified.reference]},
                extra={"kind": notified.kind, "recipients": notified.recipients},
            ),
        )
    append_events(events)
    return incident


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


def _text(value: str | None, field: str) -> str:
    """``value`` stripped, refused past the field's limit (TEXT_LIMITS)."""
    return _max_length((value or "").strip(), TEXT_LIMITS[field], field)


def _required(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise validation_error(message, **{field: "This field is required."})
    return _text(str(value), field)


def _appended(incident: Incident, field: str, entry: str, stamp: str) -> str:
    """``field`` of ``incident`` with ``entry`` added under a time stamp, within
    ACCUMULATED_LIMIT in all."""
    combined = f"{getattr(incident, field)}\n\n[{stamp}] {entry}".strip()
    if len(combined) > ACCUMULATED_LIMIT:
        raise validation_error(
            f"The {field} of {incident.reference} would be {len(combined)} characters long; the limit is "
            f"{ACCUMULATED_LIMIT}. Summarize it in a linked problem or KB article instead.",
            **{field: f"At most {ACCUMULATED_LIMIT} characters in all."},
        )
    return combined


def _max_length(value: str, limit: int, field: str) -> str:
    if len(value) > limit:
        raise validation_error(
            f"{field} is {len(value)} characters long; the limit is {limit}.",
            **{field: f"At most {limit} characters."},
        )
    return value


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise validation_error(
            f"{field} must be one of {', '.join(choices.values)}; got {value!r}.",
            **{field: f"{value!r} is not a valid choice."},
        )
    return value


def _active_service(reference: str) -> Service:
    service = Service.objects.filter(reference=reference).first()
    if service is None or not service.is_active:
        raise validation_error(
            f"No active service {reference}.", affected_service=f"No active service {reference}."
        )
    return service


def _active_user(username: str, field: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise validation_error(f"No active user {username}.", **{field: f"No active user {username}."})
    return user


# teams by code, per process for a short while (teams are set up, rarely changed, never
# deleted while incidents name them): the sweep escalated through one query per action
TEAM_CACHE_SECONDS = 60
_TEAMS: dict[str, tuple[float, Team]] = {}


def _team(code: str, field: str = "team") -> Team:
    hit = _TEAMS.get(code)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    team = Team.objects.filter(code=code).first()
    if team is None:
        raise validation_error(f"No team {code}.", **{field: f"No team {code}."})
    _TEAMS[code] = (time.monotonic() + TEAM_CACHE_SECONDS, team)
    return team


def _system_time(actor, at: datetime | None) -> datetime:
    """When an operation happens: now for people; the system may act as of ``at`` (the SLA
    sweep run for a given moment, ``sla_sweep --now``)."""
    if at is not None and actor is not None:
        raise ValueError("only the system acts as of a given time")
    return at or timezone.now()


@contextmanager
def _operation_or_system(incident, actor, operation, expected_version):
    """Like _operation, but ``actor`` None runs as the system (no visibility or role check).
    The system may hand over the Incident itself, locked by its caller's transaction with
    the relations of ``_lock`` (the SLA sweep's batch): it is not read and locked again, and
    no savepoint is taken, since a failure is the caller's to roll back (the sweep redoes
    such a batch with a savepoint per action)."""
    if actor is not None:
        with _operation(incident, actor, operation, expected_version) as inc:
            yield inc
        return
    if isinstance(incident, Incident):
        if not transaction.get_connection().in_atomic_block or incident.pk is None:
            raise ValueError("the system acts on an Incident object only as locked by its caller")
        with transaction.atomic(savepoint=False):
            _require_state(incident, operation)
            yield incident
        return
    with transaction.atomic():
        inc = _lock(Incident.objects.all(), incident)
        _require_state(inc, operation)
        yield inc
