"""Every role against every KB operation: the role table of SPEC.md, cell by cell.

``TABLE`` is the expectation, written from SPEC.md (Roles: staff write, incident managers
approve KB articles; segregation of duties: an article's author cannot approve it) and from
the brief of issue 14 (links from an incident: the staff who work incidents). Each cell is
one test: the record is first put, by others, in the state the operation needs, so that
only the role decides; then the row's user tries the operation.

    Y  allowed: the service succeeds, with its audit event by that user
    D  refused: permission_denied, nothing changes, nothing is audited
    H  hidden: not_found, the user may not even see the record (an end user and a draft)
    S  refused: segregation_of_duties (the row's user wrote the article)

Readings where SPEC.md is silent: every staff role but the auditor ("change nothing") writes,
edits, submits and revises; only incident managers retire (like approving, it decides what
readers read); an end user reads published articles, so an operation on one is refused by
role, while a draft or an article in review is hidden from them. An end user may see their
own incident (cells on incidents use one they reported) but not link to it.
"""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from knowledge import services
from tests.incidents.factories import incident_in

COLUMNS = ("create", "edit", "submit", "approve", "approve_own", "reject", "revise", "retire", "link_kb",
           "kb_update")  # fmt: skip

TABLE = """
role                  create edit submit approve approve_own reject revise retire link_kb kb_update
end_user              D      H    H      H       D           H      D      D      D       D
service_desk          Y      Y    Y      D       D           D      Y      D      Y       Y
l1                    Y      Y    Y      D       D           D      Y      D      Y       Y
l2                    Y      Y    Y      D       D           D      Y      D      Y       Y
l3                    Y      Y    Y      D       D           D      Y      D      Y       Y
devops                Y      Y    Y      D       D           D      Y      D      Y       Y
facilities            Y      Y    Y      D       D           D      Y      D      Y       Y
service_desk_manager  Y      Y    Y      D       D           D      Y      D      Y       Y
change_manager        Y      Y    Y      D       D           D      Y      D      D       D
incident_manager      Y      Y    Y      Y       S           Y      Y      Y      Y       Y
auditor               D      D    D      D       D           D      D      D      D       D
admin                 Y      Y    Y      D       D           D      Y      D      D       D
none                  D      H    H      H       H           H      H      H      H       H
"""
CODES = {"D": ErrorCode.PERMISSION_DENIED, "H": ErrorCode.NOT_FOUND, "S": ErrorCode.SEGREGATION_OF_DUTIES}


def _cells():
    lines = [line.split() for line in TABLE.strip().splitlines()]
    header = lines[0][1:]
    assert tuple(header) == COLUMNS
    for role, *marks in lines[1:]:
        for operation, mark in zip(header, marks, strict=True):
            yield role, operation, mark


TEAMS = {"l1": "L1", "l2": "L2", "l3": "L3", "devops": "devops", "facilities": "facilities",
         "service_desk": "service_desk", "service_desk_manager": "service_desk",
         "incident_manager": "incident_manager"}  # fmt: skip


@pytest.mark.parametrize(("role", "operation", "mark"), list(_cells()))
def test_role_against_operation(make_user, people, approver, article, role, operation, mark):
    user = make_user() if role == "none" else make_user(role, team=TEAMS.get(role))
    writer = people.l1  # the article's author, unless the cell is about one's own
    if operation == "create":
        call = lambda: services.article_create(actor=user, title="T", body="B", type="resolution")  # noqa: E731
    elif operation in ("edit", "submit"):
        ref = article("draft", author=writer).reference
        kwargs = {"body": "Changed."} if operation == "edit" else {}
        call = lambda: getattr(services, f"article_{operation}")(article=ref, actor=user, **kwargs)  # noqa: E731
    elif operation in ("approve", "reject"):
        ref = article("in_review", author=writer).reference
        kwargs = {"reason": "No."} if operation == "reject" else {}
        call = lambda: getattr(services, f"article_{operation}")(article=ref, actor=user, **kwargs)  # noqa: E731
    elif operation == "approve_own":
        if role == "end_user":  # one they may see: a revision of a published article, in review
            ref = article("revising", author=writer).reference
            services.article_submit(article=ref, actor=writer)
        elif role in ("auditor", "none"):  # who cannot write one
            ref = article("in_review", author=writer).reference
        else:
            ref = article("in_review", author=user).reference
        call = lambda: services.article_approve(article=ref, actor=user)  # noqa: E731
    elif operation in ("revise", "retire"):
        ref = article("published", author=writer).reference
        call = lambda: getattr(services, f"article_{operation}")(article=ref, actor=user)  # noqa: E731
    else:
        reporter = user if role == "end_user" else people.reporter
        incident = incident_in("closed", reporter=reporter, actor=people.im)
        if operation == "link_kb":
            ref = article("published", author=writer).reference
            call = lambda: services.incident_link_kb(incident=incident.reference, actor=user, article=ref)  # noqa: E731
        else:
            call = lambda: services.incident_kb_update(  # noqa: E731
                incident=incident.reference, actor=user, title="T", body="B", type="resolution"
            )
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    if mark == "Y":
        call()
        new = AuditEvent.objects.filter(seq__gt=before)
        assert new.exists() and set(new.values_list("actor_id", flat=True)) == {user.pk}
        return
    with pytest.raises(DomainError) as excinfo:
        call()
    assert excinfo.value.code == CODES[mark], (role, operation, excinfo.value)
    assert not AuditEvent.objects.filter(seq__gt=before).exists()
