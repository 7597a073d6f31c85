"""Problem operations racing from parallel threads, on PostgreSQL (tests.incidents'
``race``: one connection per thread, released together). Two people raising the same
problem at once make one problem; the two sides of one link at once make one link."""

import itertools

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from audit.models import AuditEvent
from audit.verify import verify_chain
from catalog.models import Service
from incidents import services as incident_services
from problems import services
from problems.models import Problem, ProblemIncident
from tests.incidents.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 4
_names = itertools.count(1)


def _user(role: str) -> User:
    user = User.objects.create_user(username=f"pc{next(_names)}", password=None)
    user.groups.add(Group.objects.get(name=role))
    return user


def _assert_chain_verifies() -> None:
    checked, broken = verify_chain()
    assert broken is None, broken
    assert checked == AuditEvent.objects.count()


def test_two_people_raising_the_same_problem_at_once_make_one():
    first, second = _user("service_desk"), _user("l2")
    for n in range(ROUNDS):
        service = Service.objects.create(name=f"Mail {n}")
        title = f"Relay queue {n} stalls"
        ref = service.reference
        outcomes = race(
            lambda t=title, ref=ref: services.problem_create(actor=first, title=t, affected_service=ref),
            lambda t=title, ref=ref: services.problem_create(
                actor=second, title=t.lower(), affected_service=ref
            ),
        )
        kinds = [kind for kind, _ in outcomes]
        assert kinds.count("ok") == 1, outcomes
        winner = next(value for kind, value in outcomes if kind == "ok")
        refusal = next(value for kind, value in outcomes if kind == "refused")
        assert (refusal.code, refusal.fields) == ("duplicate", {"existing": [winner.reference]})
        assert Problem.objects.filter(affected_service=service).count() == 1
    _assert_chain_verifies()


def test_both_sides_of_one_link_at_once_make_one_link():
    analyst, manager = _user("service_desk"), _user("incident_manager")
    for n in range(ROUNDS):
        service = Service.objects.create(name=f"Payments {n}")
        problem = services.problem_create(
            actor=manager, title=f"Gateway {n} times out", affected_service=service.reference
        )
        incident, _ = incident_services.incident_create(
            actor=manager, title=f"Payments fail {n}", impact="medium", urgency="medium",
            affected_service=service.reference,
        )  # fmt: skip
        pr, ir = problem.reference, incident.reference
        outcomes = race(
            lambda pr=pr, ir=ir: services.problem_link_incident(problem=pr, incident=ir, actor=analyst),
            lambda pr=pr, ir=ir: services.problem_link_incident(problem=pr, incident=ir, actor=manager),
        )
        assert [kind for kind, _ in outcomes].count("ok") == 1, outcomes
        refusal = next(value for kind, value in outcomes if kind == "refused")
        assert refusal.code == "duplicate"
        assert ProblemIncident.objects.filter(problem=problem).count() == 1
        assert AuditEvent.objects.filter(ref_id=pr, domain_action="link").count() == 1
        assert AuditEvent.objects.filter(ref_id=ir, domain_action="link").count() == 1
    _assert_chain_verifies()
