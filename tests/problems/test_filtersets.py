"""The one FilterSet of the problem list (API and page): a linked incident the viewer may
not see finds nothing, and ``q`` reads every text of a problem."""

from problems.filtersets import ProblemFilterSet
from problems.models import Problem


class _Request:
    def __init__(self, user):
        self.user = user


def refs(user, **params):
    filterset = ProblemFilterSet(params, queryset=Problem.objects.all(), request=_Request(user))
    assert filterset.is_valid(), filterset.errors
    return sorted(p.reference for p in filterset.qs)


def test_filtering_by_a_restricted_incident_finds_nothing_for_who_may_not_see_it(people, problem, make):
    secret = make("open", category="security")
    prb = problem("new", incidents=[secret.reference])
    assert refs(people.analyst, incident=secret.reference) == []
    assert refs(people.l3, incident=secret.reference.lower()) == [prb.reference]


def test_q_reads_every_text_of_a_problem(people, problem):
    prb = problem("known_error")  # symptom "Mail stays in the outbox.", root cause "A stuck relay queue."
    other = problem("new")
    for text in ("outbox", "STUCK RELAY", "restart the"):
        assert refs(people.analyst, q=text) == [prb.reference], text
    assert refs(people.analyst, q=other.reference) == [other.reference]
    assert refs(people.analyst, q="  ") == sorted([prb.reference, other.reference])
