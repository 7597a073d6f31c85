"""A change request from request to closure (SOP 10; SPEC.md "Change request").

Each service is one operation: a refusal raises DomainError and changes nothing, and a
success writes exactly its audit events in the same transaction.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import append_events, build_event
from changes.choices import ChangeStatus, ChangeType, Relation, Risk
from changes.models import Change, ChangeIncidentLink
from changes.policy import authorize
from changes.services.base import CHANGES, TEXT, iso, username, window
from changes.services.links import count_link, link_events, link_refusal, lock_incident
from core.errors import DomainError, ErrorCode, validation_error
from knowledge.selectors import articles_visible_to
from operations import inputs

S = ChangeStatus
# the types whose request must say how to undo the change (a standard change follows its
# pre-approved procedure)
NEEDS_ROLLBACK_PLAN = (ChangeType.NORMAL, ChangeType.EMERGENCY)


def _services(references: Iterable[str]) -> list:
    return [inputs.active_service(ref, "affected_services") for ref in dict.fromkeys(references)]


def _articles(actor, references: Iterable[str]) -> list:
    references = list(dict.fromkeys(references))
    found = {a.reference: a for a in articles_visible_to(actor).filter(reference__in=references)}
    for reference in references:
        if reference not in found:
            raise validation_error(f"No KB article {reference}.", articles=f"No KB article {reference}.")
    return [found[r] for r in references]


def _incident(actor, reference: str):
    """The incident a change is requested for, locked; one the actor may not see is not a
    valid input."""
    try:
        return lock_incident(actor, reference)
    except DomainError as error:
        if error.code != ErrorCode.NOT_FOUND:
            raise
        raise validation_error(f"No incident {reference}.", incident=f"No incident {reference}.") from error


def change_create(
    *,
    actor,
    summary: str,
    type: str,
    risk: str,
    description: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    rollback_plan: str = "",
    affected_services: Iterable[str] = (),
    incident: str | None = None,
    articles: Iterable[str] = (),
) -> Change:
    """Request a change. A normal change goes to the CAB with its implementation window; a
    normal or emergency change says how it is rolled back; a standard change is pre-approved
    (created ``approved``, audited as such) and is never high risk. ``incident``: the
    incident it is requested for — linked as its fix if the new change may be (a standard
    one), else as ``raised_for``; its service is the default affected service."""
    summary = TEXT.required(summary, "summary", "A change needs a summary.")
    description = TEXT.text(description, "description")
    rollback_plan = TEXT.text(rollback_plan, "rollback_plan")
    inputs.choice(type, ChangeType, "type")
    inputs.choice(risk, Risk, "risk")
    window_start, window_end = window(window_start, window_end)
    if type in NEEDS_ROLLBACK_PLAN and not rollback_plan:
        raise validation_error(
            f"{'An' if type == ChangeType.EMERGENCY else 'A'} {type} change needs a rollback plan: how to "
            "undo it if it fails.",
            rollback_plan="This field is required for normal and emergency changes.",
        )
    if type == ChangeType.NORMAL and window_start is None:
        raise validation_error(
            "A normal change goes to the CAB with its implementation window; give its start and end.",
            implementation_window="This field is required for a normal change.",
        )
    if type == ChangeType.STANDARD and risk == Risk.HIGH:
        raise validation_error(
            "A standard change is pre-approved and so never high risk; request it as a normal change for "
            "the CAB to assess.",
            risk="A standard change is low or medium risk.",
        )
    services = _services(affected_services)
    authorize(actor, "create")
    with transaction.atomic():
        linked = _incident(actor, incident) if incident else None
        kb = _articles(actor, articles)
        if linked is not None and not services:
            services = [linked.affected_service]
        change = Change(
            summary=summary, description=description, type=type, risk=risk, window_start=window_start,
            window_end=window_end, rollback_plan=rollback_plan, requester=actor,
        )  # fmt: skip
        now = timezone.now()
        if type == ChangeType.STANDARD:
            change.preapprove(at=now)
        change.save()
        change.affected_services.add(*services)
        change.articles.add(*kb)
        changes = {
            "summary": [None, summary], "type": [None, type], "risk": [None, risk],
            "status": [None, change.status],
            "affected_services": [None, [s.reference for s in services]],
        }  # fmt: skip
        if window_start is not None:
            changes["implementation_window"] = [None, [iso(window_start), iso(window_end)]]
        extra = {}
        if type == ChangeType.STANDARD:
            extra["pre_approved"] = True
        if kb:
            extra["articles"] = [a.reference for a in kb]
        before = []
        if linked is not None:
            relation = Relation.FIXES if link_refusal(change, Relation.FIXES) is None else Relation.RAISED_FOR
            ChangeIncidentLink.objects.create(
                change=change, incident=linked, relation=relation, linked_by=actor
            )
            count_link(linked)
            extra.update(incident=linked.reference, relation=relation)
            before = link_events(incident=linked, change=change, actor=actor, relation=relation, created=True)
        append_events(
            [
                *before,
                build_event(action="create", obj=change, actor=actor, changes=changes, extra=extra or None),
            ]
        )
    return change


def change_approve(*, change: str, actor, comment: str = "", expected_version: int | None = None) -> Change:
    """The CAB approves a pending change — or, retrospectively, an emergency change an
    incident manager implemented under CAB bypass. Never by its requester."""
    comment = TEXT.text(comment, "comment")
    with CHANGES.operation(change, actor, "approve", expected_version) as obj:
        now = timezone.now()
        if obj.status == S.IMPLEMENTED:
            if not obj.awaits_retrospective_approval:
                raise DomainError(
                    ErrorCode.INVALID_TRANSITION,
                    f"{obj.reference} is implemented and was approved before; only a pending change, or an "
                    "emergency change implemented under CAB bypass and not yet approved, can be approved.",
                )
            obj.approve_retrospectively(by=actor, at=now, comment=comment)
            changes = {"approver": [None, username(actor)], "approved_retrospectively": [False, True]}
        else:
            obj.approve(by=actor, at=now, comment=comment)
            changes = {"status": [S.PENDING, S.APPROVED], "approver": [None, username(actor)]}
        if comment:
            changes["approval_comment"] = [None, comment]
        extra = {"retrospective": True} if obj.approved_retrospectively else None
        return CHANGES.save(obj, action="approve", actor=actor, changes=changes, extra=extra)


def change_reject(*, change: str, actor, reason: str, expected_version: int | None = None) -> Change:
    """The CAB rejects a pending change, saying why."""
    reason = TEXT.required(reason, "reason", f"Rejecting {change} needs a reason, for its requester.")
    with CHANGES.operation(change, actor, "reject", expected_version) as obj:
        obj.reject(by=actor, at=timezone.now(), reason=reason)
        changes = {"status": [S.PENDING, S.REJECTED], "rejection_reason": [None, reason]}
        return CHANGES.save(obj, action="reject", actor=actor, changes=changes)


def change_implement(*, change: str, actor, note: str = "", expected_version: int | None = None) -> Change:
    """Record an approved change as implemented — or an emergency change before its
    approval, by an incident manager: the CAB bypass, flagged and audited as such."""
    note = TEXT.text(note, "note")
    with CHANGES.operation(change, actor, "implement", expected_version) as obj:
        now = timezone.now()
        extra = None
        if obj.status == S.PENDING:
            if not obj.is_emergency():
                raise DomainError(
                    ErrorCode.INVALID_TRANSITION,
                    f"{obj.reference} is pending; only an approved change can be implemented (before "
                    "approval, only an emergency change, by an incident manager). A change manager must "
                    "approve it first.",
                )
            obj.implement_bypassing_cab(by=actor, at=now, note=note)
            changes = {"status": [S.PENDING, S.IMPLEMENTED], "cab_bypassed": [False, True]}
            extra = {"cab_bypass": True}
        else:
            obj.implement(by=actor, at=now, note=note)
            changes = {"status": [S.APPROVED, S.IMPLEMENTED]}
        changes["implemented_at"] = [None, iso(now)]
        if note:
            changes["implementation_note"] = [None, note]
        return CHANGES.save(obj, action="update", actor=actor, changes=changes, extra=extra)


def change_close(
    *,
    change: str,
    actor,
    success: bool | None,
    failure_reason: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Change:
    """Close an implemented change with its outcome: ``success``, and why it failed when it
    did. A change implemented under CAB bypass closes only once approved retrospectively."""
    if success is None:
        raise validation_error(
            f"Closing {change} needs its outcome: success true or false.", success="This field is required."
        )
    failure_reason = TEXT.text(failure_reason, "failure_reason")
    note = TEXT.text(note, "note")
    if not success and not failure_reason:
        raise validation_error(
            f"{change} did not succeed: say why in failure_reason.",
            failure_reason="This field is required when success is false.",
        )
    if success and failure_reason:
        raise validation_error(
            f"{change} succeeded: a failure_reason is only for a change that failed.",
            failure_reason="Leave it empty when success is true.",
        )
    with CHANGES.operation(change, actor, "close", expected_version) as obj:
        if obj.awaits_retrospective_approval:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"{obj.reference} was implemented under CAB bypass and awaits its retrospective approval; a "
                "change manager must approve it before it can be closed.",
            )
        obj.close(by=actor, at=timezone.now(), success=success, failure_reason=failure_reason, note=note)
        changes = {"status": [S.IMPLEMENTED, S.CLOSED], "success": [None, success]}
        if failure_reason:
            changes["failure_reason"] = [None, failure_reason]
        if note:
            changes["closure_note"] = [None, note]
        return CHANGES.save(obj, action="close", actor=actor, changes=changes)
