"""Every role against every change operation: changes/policy.py's table, cell by cell.

``TABLE`` is the expectation, written from SPEC.md (Roles; "Change request"; segregation of
duties) and the readings changes/policy.py documents where SPEC.md is silent. Each cell is
one test: the change (and the incident) are first put, by others, in the state the
operation needs, so that only the role decides; then the row's user tries it.

    Y  allowed: the service succeeds and writes its events, by that user
    D  refused: permission_denied (403), nothing changes, nothing is audited
    H  hidden: not_found (404), the user may not even see the record
    S  refused: segregation_of_duties (403)

Rows ``requester`` (an analyst who requested the change) and ``cab_requester`` (a change
manager who requested it) are the requester's cells; every other row's user did not request
it. ``link`` links an approved change to an incident assigned to the service desk (no
resolver team: resolvers link only to their team's incidents, see test_links.py).
"""

import pytest

from audit.models import AuditEvent
from changes import services
from changes.models import Change
from core.errors import DomainError, ErrorCode
from tests.changes.factories import change_in, window

COLUMNS = ("create", "approve", "reject", "implement", "bypass", "close", "link", "read")
TABLE = """
role             create approve reject implement bypass close link read
end_user         D      H       H      H         H      H     D    H
service_desk     Y      D       D      D         D      D     Y    Y
l1               Y      D       D      D         D      D     D    Y
l2               Y      D       D      Y         D      D     D    Y
l3               Y      D       D      Y         D      D     D    Y
devops           Y      D       D      Y         D      D     D    Y
facilities       Y      D       D      Y         D      D     D    Y
service_desk_manager Y  D       D      D         D      D     Y    Y
change_manager   Y      Y       Y      Y         D      Y     Y    Y
incident_manager Y      D       D      Y         Y      Y     Y    Y
auditor          D      D       D      D         D      D     D    Y
admin            Y      D       D      D         D      D     D    Y
requester        Y      D       D      Y         D      Y     Y    Y
cab_requester    Y      S       Y      Y         D      Y     Y    Y
"""
TEAMS = {"l1": "L1", "l2": "L2", "l3": "L3", "devops": "devops", "facilities": "facilities",
         "service_desk": "service_desk", "service_desk_manager": "service_desk"}  # fmt: skip
CODES = {"D": ErrorCode.PERMISSION_DENIED, "H": ErrorCode.NOT_FOUND, "S": ErrorCode.SEGREGATION_OF_DUTIES}


def _cells():
    lines = [line.split() for line in TABLE.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert tuple(header) == COLUMNS
    return [
        (row[0], column, expected) for row in rows for column, expected in zip(header, row[1:], strict=True)
    ]


@pytest.mark.parametrize(("role", "operation", "expected"), _cells())
def test_role_against_operation(cast, make, make_user, svc, role, operation, expected):
    if role == "requester":
        user = make_user("service_desk", team="service_desk")
    elif role == "cab_requester":
        user = make_user("change_manager", team="change_mgmt")
    elif role == "end_user":
        user = cast.reporter  # the reporter of the incident: sees it, may not link changes to it
    else:
        user = make_user(role, team=TEAMS.get(role))
    requester = user if role in ("requester", "cab_requester") else cast.analyst
    state = {"approve": "pending", "reject": "pending", "implement": "approved", "bypass": "pending",
             "close": "implemented", "link": "approved", "read": "pending"}.get(operation)  # fmt: skip
    change = None
    if state is not None:
        kw = {"type": "emergency"} if operation == "bypass" else {}
        change = change_in(state, requester=requester, cab=cast.cm2, implementer=cast.im2, **kw)
    incident = make("in_progress", team="service_desk") if operation == "link" else None
    events = AuditEvent.objects.count()
    before = Change.objects.filter(pk=getattr(change, "pk", None)).values().first()

    def attempt():
        if operation == "create":
            start, end = window()
            services.change_create(
                actor=user, summary="Patch", type="normal", risk="low", window_start=start, window_end=end,
                rollback_plan="Undo.", affected_services=[svc.reference],
            )  # fmt: skip
        elif operation == "approve":
            services.change_approve(change=change.reference, actor=user)
        elif operation == "reject":
            services.change_reject(change=change.reference, actor=user, reason="No.")
        elif operation in ("implement", "bypass"):
            services.change_implement(change=change.reference, actor=user)
        elif operation == "close":
            services.change_close(change=change.reference, actor=user, success=True)
        elif operation == "link":
            services.change_link_incident(incident=incident.reference, change=change.reference, actor=user)
        elif operation == "read":
            if not services.CHANGES.visible_to(user).filter(pk=change.pk).exists():
                raise DomainError(ErrorCode.NOT_FOUND, "not visible")

    if expected == "Y":
        attempt()
        written = list(AuditEvent.objects.order_by("-seq")[: AuditEvent.objects.count() - events])
        expected_events = {"read": 0, "link": 2}.get(operation, 1)
        assert len(written) == expected_events
        assert all(e.actor_label == user.username for e in written)
        return
    with pytest.raises(DomainError) as excinfo:
        attempt()
    assert excinfo.value.code == CODES[expected], excinfo.value.message
    assert AuditEvent.objects.count() == events
    assert Change.objects.filter(pk=getattr(change, "pk", None)).values().first() == before
