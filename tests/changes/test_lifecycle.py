"""Every path of a change from approval to closure: normal approve / reject, the standard
change's pre-approval, the emergency CAB bypass by an incident manager only and its
retrospective approval (closing refused before it), segregation of duties, and the outcome
at close. Each success writes exactly its event; each refusal changes nothing."""

import pytest

from changes.models import Change
from changes.services import change_approve, change_close, change_implement, change_reject
from core.errors import ErrorCode
from tests.changes.checks import events_of, refused

E = ErrorCode
CAB_DECIDES = "Your role may not {op} {ref}; a change manager (CAB) decides it."
APPROVE_STATE = (
    "{ref} is {state}; only a change that is pending or implemented can be approved (an implemented one "
    "only retrospectively, after a CAB bypass)."
)
APPROVED_BEFORE = (
    "{ref} is implemented and was approved before; only a pending change, or an emergency change "
    "implemented under CAB bypass and not yet approved, can be approved."
)
NO_REASON = "Rejecting {ref} needs a reason, for its requester."
REJECT_STATE = "{ref} is {state}; only a change that is pending can be rejected."
BYPASS_DENIED = (
    "{ref} is not approved yet; only an incident manager may implement an emergency change before "
    "approval (CAB bypass). Otherwise a change manager must approve it first."
)
NOT_APPROVED = (
    "{ref} is pending; only an approved change can be implemented (before approval, only an emergency "
    "change, by an incident manager). A change manager must approve it first."
)
IMPLEMENT_STATE = (
    "{ref} is {state}; only a change that is approved or pending can be implemented (a pending one only "
    "as an emergency change, by an incident manager)."
)
AWAITS_RETRO = (
    "{ref} was implemented under CAB bypass and awaits its retrospective approval; a change manager must "
    "approve it before it can be closed."
)


def _reload(change) -> Change:
    return Change.objects.get(pk=change.pk)


# ---- approve / reject -------------------------------------------------------------------
def test_the_cab_approves_a_pending_change(cast, chg):
    change = chg("pending")
    change_approve(change=change.reference, actor=cast.cm, comment="Inside the window.", expected_version=1)
    change = _reload(change)
    assert (change.status, change.approver, change.approval_comment) == (
        "approved",
        cast.cm,
        "Inside the window.",
    )
    assert change.approved_at is not None and change.version == 2 and not change.approved_retrospectively
    create, approve = events_of(change.reference)
    assert (approve.domain_action, approve.actor_label) == ("approve", cast.cm.username)
    assert approve.changes == {
        "status": ["pending", "approved"], "approver": [None, cast.cm.username],
        "approval_comment": [None, "Inside the window."],
    }  # fmt: skip
    assert approve.additional_data is None


def test_the_cab_rejects_a_pending_change_with_a_reason(cast, chg):
    change = chg("pending")
    change_reject(change=change.reference, actor=cast.cm, reason="Clashes with the quarter close.")
    change = _reload(change)
    assert (change.status, change.rejected_by, change.rejection_reason) == (
        "rejected",
        cast.cm,
        "Clashes with the quarter close.",
    )
    reject = events_of(change.reference)[-1]
    assert reject.domain_action == "reject"
    assert reject.changes == {
        "status": ["pending", "rejected"],
        "rejection_reason": [None, "Clashes with the quarter close."],
    }


def test_the_requester_never_approves_their_own_change(cast, chg):
    change = chg("pending", requester=cast.cm)
    refused(
        lambda: change_approve(change=change.reference, actor=cast.cm),
        E.SEGREGATION_OF_DUTIES,
        f"You requested {change.reference}; another change manager must approve it.",
        change,
    )
    change_approve(change=change.reference, actor=cast.cm2)  # another change manager may
    assert _reload(change).status == "approved"


@pytest.mark.parametrize(
    ("state", "who", "code", "message"),
    [
        ("pending", "im", E.PERMISSION_DENIED, CAB_DECIDES),
        ("pending", "analyst", E.PERMISSION_DENIED, CAB_DECIDES),
        ("pending", "auditor", E.PERMISSION_DENIED, CAB_DECIDES),
        ("pending", "reporter", E.NOT_FOUND, "Change {ref} was not found."),
        ("approved", "cm2", E.INVALID_TRANSITION, APPROVE_STATE),
        ("rejected", "cm2", E.INVALID_TRANSITION, APPROVE_STATE),
        ("implemented", "cm2", E.INVALID_TRANSITION, APPROVED_BEFORE),
        ("retro", "cm2", E.INVALID_TRANSITION, APPROVED_BEFORE),
    ],
)  # fmt: skip
def test_approve_refusals_change_nothing(cast, chg, state, who, code, message):
    change = chg(state)
    refused(
        lambda: change_approve(change=change.reference, actor=getattr(cast, who)),
        code, message.format(ref=change.reference, state=change.status, op="approve"), change,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("state", "who", "kwargs", "code", "message"),
    [
        ("pending", "cm2", {"reason": " "}, E.VALIDATION_ERROR, NO_REASON),
        ("pending", "im", {}, E.PERMISSION_DENIED, CAB_DECIDES),
        ("approved", "cm2", {}, E.INVALID_TRANSITION, REJECT_STATE),
        ("bypassed", "cm2", {}, E.INVALID_TRANSITION, REJECT_STATE),
    ],
)  # fmt: skip
def test_reject_refusals_change_nothing(cast, chg, state, who, kwargs, code, message):
    change = chg(state)
    kwargs.setdefault("reason", "No.")
    refused(
        lambda: change_reject(change=change.reference, actor=getattr(cast, who), **kwargs),
        code, message.format(ref=change.reference, state=change.status, op="reject"), change,
    )  # fmt: skip


def test_a_stale_version_is_a_conflict(cast, chg):
    change = chg("pending")
    error = refused(
        lambda: change_approve(change=change.reference, actor=cast.cm, expected_version=7),
        E.CONFLICT,
        f"{change.reference} changed since you loaded it (version 7, now 1). Reload it and try again.",
        change,
    )
    assert error.fields == {"version": 1}


# ---- implement --------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["analyst", "cm", "im", "devops", "l2", "l3"])
def test_an_approved_change_is_implemented_by_its_requester_the_cab_or_the_engineers(cast, chg, who):
    change = chg("approved")
    change_implement(change=change.reference, actor=getattr(cast, who), note="Relay 2.4 rolled out.")
    change = _reload(change)
    assert (change.status, change.implemented_by, change.cab_bypassed) == (
        "implemented",
        getattr(cast, who),
        False,
    )
    event = events_of(change.reference)[-1]
    assert (event.domain_action, event.additional_data) == ("update", None)
    assert event.changes == {
        "status": ["approved", "implemented"], "implemented_at": [None, change.implemented_at.isoformat()],
        "implementation_note": [None, "Relay 2.4 rolled out."],
    }  # fmt: skip


def test_a_standard_change_is_implemented_without_the_cab(cast, chg):
    change = chg("standard")
    change_implement(change=change.reference, actor=cast.l2)
    assert _reload(change).status == "implemented"


def test_an_incident_manager_implements_an_emergency_change_before_approval_flagged(cast, chg):
    change = chg("pending", type="emergency")
    change_implement(change=change.reference, actor=cast.im, note="Failed over to the standby relay.")
    change = _reload(change)
    assert (change.status, change.cab_bypassed, change.approver) == ("implemented", True, None)
    assert change.awaits_retrospective_approval
    event = events_of(change.reference)[-1]
    assert event.domain_action == "update" and event.additional_data == {"cab_bypass": True}
    assert event.changes["status"] == ["pending", "implemented"]
    assert event.changes["cab_bypassed"] == [False, True]


@pytest.mark.parametrize(
    ("state", "kw", "who", "code", "message"),
    [
        ("pending", {"type": "emergency"}, "cm", E.PERMISSION_DENIED, BYPASS_DENIED),
        ("pending", {"type": "emergency"}, "devops", E.PERMISSION_DENIED, BYPASS_DENIED),
        ("pending", {"type": "emergency"}, "analyst", E.PERMISSION_DENIED, BYPASS_DENIED),
        ("pending", {}, "im", E.INVALID_TRANSITION, NOT_APPROVED),
        ("approved", {}, "l1", E.PERMISSION_DENIED, "Your role may not implement {ref}."),
        ("approved", {}, "sdm", E.PERMISSION_DENIED, "Your role may not implement {ref}."),
        ("approved", {}, "auditor", E.PERMISSION_DENIED, "Your role may not implement {ref}."),
        ("approved", {}, "reporter", E.NOT_FOUND, "Change {ref} was not found."),
        ("rejected", {}, "cm", E.INVALID_TRANSITION, IMPLEMENT_STATE),
        ("implemented", {}, "cm", E.INVALID_TRANSITION, IMPLEMENT_STATE),
    ],
)  # fmt: skip
def test_implement_refusals_change_nothing(cast, chg, state, kw, who, code, message):
    change = chg(state, **kw)
    refused(
        lambda: change_implement(change=change.reference, actor=getattr(cast, who)),
        code, message.format(ref=change.reference, state=change.status), change,
    )  # fmt: skip


# ---- retrospective approval -------------------------------------------------------------
def test_the_bypassed_change_is_approved_retrospectively_and_stays_implemented(cast, chg):
    change = chg("bypassed")
    change_approve(change=change.reference, actor=cast.cm, comment="Right call.")
    change = _reload(change)
    assert (change.status, change.approver, change.approved_retrospectively) == ("implemented", cast.cm, True)
    assert not change.awaits_retrospective_approval
    event = events_of(change.reference)[-1]
    assert (event.domain_action, event.additional_data) == ("approve", {"retrospective": True})
    assert event.changes == {
        "approver": [None, cast.cm.username], "approved_retrospectively": [False, True],
        "approval_comment": [None, "Right call."],
    }  # fmt: skip


def test_the_incident_manager_who_bypassed_the_cab_does_not_approve_it_afterwards(cast, chg, make_user):
    both = make_user("incident_manager", "change_manager")
    change = chg("bypassed", bypasser=both)
    refused(
        lambda: change_approve(change=change.reference, actor=both),
        E.SEGREGATION_OF_DUTIES,
        f"You implemented {change.reference} under CAB bypass; another change manager must approve it "
        "retrospectively.",
        change,
    )


def test_closing_a_bypassed_change_is_refused_until_it_is_approved_retrospectively(cast, chg):
    change = chg("bypassed")
    refused(
        lambda: change_close(change=change.reference, actor=cast.im, success=True),
        E.INVALID_TRANSITION,
        AWAITS_RETRO.format(ref=change.reference),
        change,
    )
    change_approve(change=change.reference, actor=cast.cm)
    change_close(change=change.reference, actor=cast.im, success=True)
    assert _reload(change).status == "closed"


# ---- close ------------------------------------------------------------------------------
def test_a_successful_change_closes(cast, chg):
    change = chg("implemented")
    change_close(change=change.reference, actor=cast.cm, success=True, note="Mail flows.")
    change = _reload(change)
    assert (change.status, change.success, change.closed_by, change.closure_note) == (
        "closed",
        True,
        cast.cm,
        "Mail flows.",
    )
    event = events_of(change.reference)[-1]
    assert event.domain_action == "close"
    assert event.changes == {
        "status": ["implemented", "closed"],
        "success": [None, True],
        "closure_note": [None, "Mail flows."],
    }


def test_a_failed_change_closes_with_its_reason_and_the_requester_may_close_it(cast, chg):
    change = chg("implemented")
    change_close(
        change=change.reference, actor=cast.analyst, success=False, failure_reason="Rolled back: TLS broke."
    )
    change = _reload(change)
    assert (change.status, change.success, change.failure_reason) == (
        "closed",
        False,
        "Rolled back: TLS broke.",
    )
    assert events_of(change.reference)[-1].changes == {
        "status": ["implemented", "closed"], "success": [None, False],
        "failure_reason": [None, "Rolled back: TLS broke."],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("state", "who", "kwargs", "code", "message"),
    [
        ("implemented", "cm", {"success": None}, E.VALIDATION_ERROR,
         "Closing {ref} needs its outcome: success true or false."),
        ("implemented", "cm", {"success": False}, E.VALIDATION_ERROR,
         "{ref} did not succeed: say why in failure_reason."),
        ("implemented", "cm", {"success": True, "failure_reason": "Oops"}, E.VALIDATION_ERROR,
         "{ref} succeeded: a failure_reason is only for a change that failed."),
        ("implemented", "devops", {"success": True}, E.PERMISSION_DENIED, "Your role may not close {ref}."),
        ("implemented", "l1", {"success": True}, E.PERMISSION_DENIED, "Your role may not close {ref}."),
        ("approved", "cm", {"success": True}, E.INVALID_TRANSITION,
         "{ref} is approved; only a change that is implemented can be closed."),
        ("closed", "cm", {"success": True}, E.INVALID_TRANSITION,
         "{ref} is closed; only a change that is implemented can be closed."),
    ],
)  # fmt: skip
def test_close_refusals_change_nothing(cast, chg, state, who, kwargs, code, message):
    change = chg(state)
    refused(
        lambda: change_close(change=change.reference, actor=getattr(cast, who), **kwargs),
        code, message.format(ref=change.reference), change,
    )  # fmt: skip
