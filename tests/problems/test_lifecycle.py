"""The problem's lifecycle services: investigate, record the workaround (exactly one KB
article in review, linked to the problem and its incidents), resolve, close after the
stability window unless a linked incident recurred, and reopen the investigation."""

import pytest
import time_machine

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents import services as incident_services
from knowledge.models import Article
from problems import services
from problems.models import Problem, ProblemPolicy
from tests.incidents.factories import incident_in


def reload(problem):
    return Problem.objects.get(pk=problem.pk)


def events(ref):
    return list(AuditEvent.objects.filter(ref_id=ref).order_by("seq"))


def assert_unchanged(problem, *, article_count=0):
    after = reload(problem)
    assert (after.status, after.version) == (problem.status, problem.version)
    assert len(events(problem.reference)) == len(events_before[problem.reference])
    assert Article.objects.count() == article_count


events_before: dict = {}


def snapshot(problem):
    events_before[problem.reference] = events(problem.reference)
    return problem


# ---- start investigation --------------------------------------------------------------
def test_starting_the_investigation_stamps_it(people, problem):
    prb = problem("new")
    done = services.problem_start_investigation(
        problem=prb.reference, actor=people.l1, note="Looking at relays."
    )
    assert (done.status, done.version) == ("under_investigation", prb.version + 1)
    assert done.investigation_started_at is not None
    event = events(prb.reference)[-1]
    assert (event.domain_action, event.actor_label) == ("update", people.l1.username)
    assert event.changes == {"status": ["new", "under_investigation"], "note": [None, "Looking at relays."]}


@pytest.mark.parametrize("status", ["under_investigation", "known_error", "closed"])
def test_only_a_new_or_resolved_problem_starts_an_investigation(people, problem, status):
    prb = snapshot(problem(status))
    with pytest.raises(DomainError) as excinfo:
        services.problem_start_investigation(problem=prb.reference, actor=people.im)
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    assert excinfo.value.message == (
        f"{prb.reference} is {status}; only a problem that is new or resolved can be investigated."
    )
    assert_unchanged(prb, article_count=Article.objects.count())


# ---- record workaround ----------------------------------------------------------------
def test_recording_the_workaround_makes_a_known_error_with_one_article_in_review(people, problem, make):
    first, second = make("open"), make("in_progress")
    prb = problem("under_investigation", incidents=[first.reference, second.reference])
    done = services.problem_record_workaround(
        problem=prb.reference, actor=people.l2, symptom="Outbox grows.", root_cause="Relay queue stuck.",
        workaround="Restart the relay service.",
    )  # fmt: skip
    assert (done.status, done.symptom, done.root_cause, done.workaround) == (
        "known_error", "Outbox grows.", "Relay queue stuck.", "Restart the relay service."
    )  # fmt: skip
    assert done.is_known_error and done.known_error_at is not None
    [article] = Article.objects.all()
    assert (article.type, article.status, article.author) == ("workaround", "in_review", people.l2)
    assert article.title == f"Workaround: {prb.title}"
    assert "## Workaround\n\nRestart the relay service." in article.body and prb.reference in article.body
    assert list(article.problems.all()) == [done]
    assert set(article.incidents.all()) == {first, second}
    # the article's own create event, then the problem's update naming it
    article_event = AuditEvent.objects.get(ref_id=article.reference)
    update = events(prb.reference)[-1]
    assert article_event.domain_action == "create" and update.seq == article_event.seq + 1
    assert (update.domain_action, update.actor_label) == ("update", people.l2.username)
    assert update.changes == {
        "status": ["under_investigation", "known_error"], "symptom": [None, "Outbox grows."],
        "root_cause": [None, "Relay queue stuck."], "workaround": [None, "Restart the relay service."],
        "article": [None, article.reference],
    }  # fmt: skip


def test_a_symptom_and_root_cause_already_recorded_need_not_be_given_again(people, problem):
    prb = problem("under_investigation")
    services.problem_update(
        problem=prb.reference, actor=people.l1, symptom="Outbox grows.", root_cause="Relay."
    )
    done = services.problem_record_workaround(
        problem=prb.reference, actor=people.l1, workaround="Restart it."
    )
    assert (done.status, done.symptom, done.root_cause) == ("known_error", "Outbox grows.", "Relay.")
    assert set(events(prb.reference)[-1].changes) == {"status", "workaround", "article"}


def test_the_workaround_article_names_only_the_incidents_the_actor_may_see(people, problem, make):
    seen, secret = make("open"), make("open", category="security")
    prb = problem("under_investigation", incidents=[seen.reference, secret.reference])
    services.problem_record_workaround(
        problem=prb.reference, actor=people.analyst, symptom="S", root_cause="R", workaround="W"
    )
    assert list(Article.objects.get().incidents.all()) == [seen]


@pytest.mark.parametrize(
    ("given", "missing", "message_tail"),
    [
        ({}, ["symptom", "root_cause", "workaround"], "give the symptom, root_cause and workaround."),
        ({"workaround": "W"}, ["symptom", "root_cause"], "give the symptom and root_cause."),
        ({"symptom": "S", "root_cause": " ", "workaround": "W"}, ["root_cause"], "give the root_cause."),
    ],
)
def test_a_workaround_without_its_symptom_and_root_cause_names_each_missing_field(
    people, problem, given, missing, message_tail
):
    prb = snapshot(problem("under_investigation"))
    with pytest.raises(DomainError) as excinfo:
        services.problem_record_workaround(
            problem=prb.reference, actor=people.im, **{"workaround": "", **given}
        )
    error = excinfo.value
    assert error.code == ErrorCode.VALIDATION_ERROR
    assert error.message == (
        f"{prb.reference} becomes a known error with its symptom, root cause and workaround: {message_tail}"
    )
    assert error.fields == {field: ["This field is required."] for field in missing}
    assert_unchanged(prb)


@pytest.mark.parametrize("status", ["new", "known_error", "resolved"])
def test_only_a_problem_under_investigation_gets_a_workaround(people, problem, status):
    prb = snapshot(problem(status))
    articles = Article.objects.count()
    with pytest.raises(DomainError) as excinfo:
        services.problem_record_workaround(
            problem=prb.reference, actor=people.im, symptom="S", root_cause="R", workaround="W"
        )
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    assert excinfo.value.message == (
        f"{prb.reference} is {status}; only a problem that is under_investigation can be given a workaround."
    )
    assert_unchanged(prb, article_count=articles)


def test_a_failing_article_leaves_the_problem_as_it_was(people, problem, monkeypatch):
    """The article is written in the same transaction: its refusal undoes the known error."""
    prb = snapshot(problem("under_investigation"))

    def refuse(**kwargs):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "No article today.")

    monkeypatch.setattr("problems.services.lifecycle.article_create", refuse)
    with pytest.raises(DomainError):
        services.problem_record_workaround(problem=prb.reference, actor=people.im, symptom="S",
                                           root_cause="R",
                                           workaround="W")  # fmt: skip
    assert_unchanged(prb)
    assert reload(prb).workaround == ""


# ---- resolve --------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["under_investigation", "known_error"])
def test_resolving_records_the_fix_and_its_evidence(people, problem, status):
    prb = problem(status)
    done = services.problem_resolve(
        problem=prb.reference, actor=people.l3, fix_summary="Relay patched.", validation_evidence="Soak test."
    )
    assert (done.status, done.fix_summary, done.validation_evidence) == (
        "resolved",
        "Relay patched.",
        "Soak test.",
    )
    assert done.resolved_at is not None
    event = events(prb.reference)[-1]
    assert (event.domain_action, event.actor_label) == ("resolve", people.l3.username)
    assert event.changes == {
        "status": [status, "resolved"], "fix_summary": [None, "Relay patched."],
        "validation_evidence": [None, "Soak test."],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fix", "evidence", "missing", "tail"),
    [
        ("", "", ["fix_summary", "validation_evidence"], "give the fix_summary and validation_evidence."),
        ("Patched.", " ", ["validation_evidence"], "give the validation_evidence."),
    ],
)
def test_resolving_needs_the_fix_and_the_evidence(people, problem, fix, evidence, missing, tail):
    prb = snapshot(problem("known_error"))
    with pytest.raises(DomainError) as excinfo:
        services.problem_resolve(
            problem=prb.reference, actor=people.im, fix_summary=fix, validation_evidence=evidence
        )
    assert excinfo.value.code == ErrorCode.VALIDATION_ERROR
    assert (
        excinfo.value.message == f"Resolving a problem needs what was fixed and the evidence it works: {tail}"
    )
    assert excinfo.value.fields == {field: ["This field is required."] for field in missing}
    assert_unchanged(prb, article_count=1)


def test_a_new_problem_is_not_resolved(people, problem):
    prb = snapshot(problem("new"))
    with pytest.raises(DomainError) as excinfo:
        services.problem_resolve(
            problem=prb.reference, actor=people.im, fix_summary="F", validation_evidence="E"
        )
    assert excinfo.value.message == (
        f"{prb.reference} is new; only a problem that is under_investigation or known_error can be resolved."
    )
    assert_unchanged(prb)


# ---- close ----------------------------------------------------------------------------
def test_closing_within_the_stability_window_names_the_day_it_may_close(people, problem):
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        prb = snapshot(problem("resolved"))
    with time_machine.travel("2026-03-09 09:29Z", tick=False), pytest.raises(DomainError) as excinfo:
        services.problem_close(problem=prb.reference, actor=people.im, closure_notes="Done.")
    error = excinfo.value
    assert error.code == ErrorCode.PRECONDITION_FAILED
    assert error.message == (
        f"{prb.reference} was resolved on 2026-03-02 09:30 UTC; it may close from 2026-03-09 09:30 UTC, once "
        "its fix has held for the 7-day stability window."
    )
    assert error.fields == {"closable_from": ["2026-03-09T09:30:00+00:00"]}
    assert_unchanged(prb, article_count=1)
    with time_machine.travel("2026-03-09 09:30Z", tick=False):
        done = services.problem_close(problem=prb.reference, actor=people.im, closure_notes="Held a week.")
    assert (done.status, done.closure_notes) == ("closed", "Held a week.")
    assert done.closed_at.isoformat() == "2026-03-09T09:30:00+00:00"
    event = events(prb.reference)[-1]
    assert (event.domain_action, event.changes) == (
        "close", {"status": ["resolved", "closed"], "closure_notes": [None, "Held a week."]}
    )  # fmt: skip


def test_the_stability_window_is_the_policys(people, problem):
    ProblemPolicy.objects.filter(pk=1).update(stability_window_days=2)
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        prb = problem("resolved")
    with time_machine.travel("2026-03-04 09:29Z", tick=False), pytest.raises(DomainError) as excinfo:
        services.problem_close(problem=prb.reference, actor=people.l3, closure_notes="Done.")
    assert (
        "it may close from 2026-03-04 09:30 UTC, once its fix has held for the 2-day" in excinfo.value.message
    )
    with time_machine.travel("2026-03-04 09:31Z", tick=False):
        assert (
            services.problem_close(problem=prb.reference, actor=people.l3, closure_notes="Done.").status
            == "closed"
        )


def test_a_linked_incident_created_after_the_fix_keeps_the_problem_open(people, problem, make, svc):
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        before = make("open")
        prb = problem("resolved", incidents=[before.reference])
    with time_machine.travel("2026-03-05 12:00Z", tick=False):
        again = make("open")
        services.problem_link_incident(problem=prb.reference, incident=again.reference, actor=people.analyst)
    prb = snapshot(reload(prb))
    with time_machine.travel("2026-03-20 12:00Z", tick=False), pytest.raises(DomainError) as excinfo:
        services.problem_close(problem=prb.reference, actor=people.im, closure_notes="Done.")
    error = excinfo.value
    assert error.code == ErrorCode.PRECONDITION_FAILED
    assert error.message == (
        f"{prb.reference} cannot close: {again.reference} recurred after it was resolved on "
        "2026-03-02 09:30 UTC (created or reopened since), so the fix has not held. Reopen its "
        "investigation to find a lasting fix."
    )
    assert error.fields == {"recurring": [again.reference]}
    assert_unchanged(prb, article_count=1)


def test_a_linked_incident_reopened_after_the_fix_keeps_the_problem_open(people, problem):
    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        incident = incident_in("resolved", actor=people.im)
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        prb = problem("resolved", incidents=[incident.reference])
        other = incident_in("closed", actor=people.im)  # created after the fix, but never linked
    with time_machine.travel("2026-03-03 10:00Z", tick=False):
        incident_services.incident_reopen(
            incident=incident.reference, actor=people.im, reason="Mail stuck again."
        )
    with time_machine.travel("2026-03-20 12:00Z", tick=False), pytest.raises(DomainError) as excinfo:
        services.problem_close(problem=prb.reference, actor=people.im, closure_notes="Done.")
    assert excinfo.value.fields == {"recurring": [incident.reference]}
    assert other.reference not in excinfo.value.message


def test_a_reopen_before_the_fix_is_no_recurrence(people, problem):
    with time_machine.travel("2026-03-01 09:00Z", tick=False):
        incident = incident_in("resolved", actor=people.im)
        incident_services.incident_reopen(incident=incident.reference, actor=people.im, reason="Not yet.")
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        prb = problem("resolved", incidents=[incident.reference])
    with time_machine.travel("2026-03-20 12:00Z", tick=False):
        assert (
            services.problem_close(problem=prb.reference, actor=people.im, closure_notes="OK").status
            == "closed"
        )


def test_closing_needs_notes_and_a_resolved_problem(people, problem):
    prb = snapshot(problem("known_error"))
    with pytest.raises(DomainError) as excinfo:
        services.problem_close(problem=prb.reference, actor=people.im, closure_notes=" ")
    assert (excinfo.value.code, excinfo.value.message) == (
        ErrorCode.VALIDATION_ERROR, "Closing a problem needs closure_notes."
    )  # fmt: skip
    with pytest.raises(DomainError) as excinfo:
        services.problem_close(problem=prb.reference, actor=people.im, closure_notes="Done.")
    assert (
        excinfo.value.message
        == f"{prb.reference} is known_error; only a problem that is resolved can be closed."
    )
    assert_unchanged(prb, article_count=1)


# ---- the fix did not hold --------------------------------------------------------------
def test_reopening_the_investigation_clears_the_fix_and_restarts_the_window(people, problem, make):
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        prb = problem("resolved")
    with time_machine.travel("2026-03-04 10:00Z", tick=False):
        again = make("open")
        services.problem_link_incident(problem=prb.reference, incident=again.reference, actor=people.l1)
        prb = snapshot(reload(prb))
        with pytest.raises(DomainError) as excinfo:
            services.problem_start_investigation(problem=prb.reference, actor=people.l1)
        assert excinfo.value.message == (
            f"{prb.reference} is resolved: reopening its investigation needs a note saying why the fix did "
            "not hold."
        )
        assert excinfo.value.fields == {"note": ["This field is required."]}
        assert_unchanged(prb, article_count=1)
        reopened = services.problem_start_investigation(
            problem=prb.reference, actor=people.l1, note=f"{again.reference} recurred."
        )
    assert reopened.status == "under_investigation"
    assert (reopened.fix_summary, reopened.validation_evidence, reopened.resolved_at) == ("", "", None)
    assert events(prb.reference)[-1].changes == {
        "status": ["resolved", "under_investigation"], "fix_summary": ["Relay patched.", ""],
        "validation_evidence": ["No stall for a day.", ""],
        "resolved_at": ["2026-03-02T09:30:00+00:00", None],
        "note": [None, f"{again.reference} recurred."],
    }  # fmt: skip
    with time_machine.travel("2026-03-05 10:00Z", tick=False):
        services.problem_resolve(problem=prb.reference, actor=people.l3, fix_summary="Relay replaced.",
                                 validation_evidence="Load test.")  # fmt: skip
    with time_machine.travel("2026-03-12 10:00Z", tick=False):
        # the recurrence came before the new fix: the new window is clean
        assert (
            services.problem_close(problem=prb.reference, actor=people.l3, closure_notes="OK").status
            == "closed"
        )


@pytest.mark.parametrize("operation", ["resolve", "close"])
def test_who_may_not_resolve_or_close_is_told_who_may(people, problem, operation):
    prb = snapshot(problem("known_error" if operation == "resolve" else "resolved"))
    call = {
        "resolve": lambda: services.problem_resolve(problem=prb.reference, actor=people.l2, fix_summary="F",
                                                    validation_evidence="E"),
        "close": lambda: services.problem_close(problem=prb.reference, actor=people.l2, closure_notes="N"),
    }[operation]  # fmt: skip
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.message) == (
        ErrorCode.PERMISSION_DENIED,
        f"Your role may not {operation} {prb.reference}. Only incident managers and L3 engineers may "
        f"{operation} a problem.",
    )
    assert_unchanged(prb, article_count=1)
