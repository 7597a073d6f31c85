"""SOP 19, the problem's lifecycle: investigate, record the workaround (a known error, its
KB article in review), resolve with validation evidence, close after the stability window."""

from datetime import UTC, datetime

from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.selectors import incidents_visible_to
from knowledge.choices import ArticleType
from knowledge.services import article_create
from problems.choices import ProblemStatus
from problems.models import Problem, ProblemPolicy
from problems.services.base import PROBLEMS, TEXT, require_each

P = ProblemStatus
ARTICLE_TITLE_LIMIT = 200


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def problem_start_investigation(
    *, problem: Problem | str, actor, note: str = "", expected_version: int | None = None
) -> Problem:
    """SOP 19: start investigating a new problem; or reopen the investigation of a resolved
    one whose fix did not hold (a linked incident recurred), which needs a ``note`` saying
    why and clears the fix, so the next resolve records a new one."""
    note = TEXT.text(note, "note")
    with PROBLEMS.operation(problem, actor, "start_investigation", expected_version) as prb:
        before = prb.status
        changes: dict[str, list] = {"status": [before, P.UNDER_INVESTIGATION]}
        if before == P.RESOLVED:
            if not note:
                raise DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    f"{prb.reference} is resolved: reopening its investigation needs a note saying why "
                    "the fix did not hold.",
                    {"note": ["This field is required."]},
                )
            changes.update(
                fix_summary=[prb.fix_summary, ""],
                validation_evidence=[prb.validation_evidence, ""],
                resolved_at=[prb.resolved_at.isoformat(), None],
            )
        if note:
            changes["note"] = [None, note]
        prb.start_investigation(at=timezone.now())
        return PROBLEMS.save(prb, action="update", actor=actor, changes=changes)


def _article_body(problem: Problem) -> str:
    service = problem.affected_service
    return (
        f"Known error {problem.reference} on {service.name} ({service.reference}).\n\n"
        f"## Symptom\n\n{problem.symptom}\n\n"
        f"## Root cause\n\n{problem.root_cause}\n\n"
        f"## Workaround\n\n{problem.workaround}\n"
    )


def _article_title(problem: Problem) -> str:
    title = f"Workaround: {problem.title}"
    return title if len(title) <= ARTICLE_TITLE_LIMIT else title[: ARTICLE_TITLE_LIMIT - 1] + "…"


def problem_record_workaround(
    *,
    problem: Problem | str,
    actor,
    workaround: str,
    symptom: str | None = None,
    root_cause: str | None = None,
    expected_version: int | None = None,
) -> Problem:
    """SOP 19 (workaround): a problem under investigation becomes a known error once its
    symptom, root cause and workaround are recorded (a symptom or root cause not given here
    is the one the problem already has). Its workaround is written up as a KB article of
    type ``workaround``, submitted for review (a second person publishes it), linked to the
    problem and to those of its incidents the actor can see. One ``update`` event on the
    problem names the article (whose own ``create`` event precedes it)."""
    given = {"symptom": symptom, "root_cause": root_cause, "workaround": workaround}
    for field, value in given.items():
        TEXT.text(value, field)  # the limits, before the row is locked
    with PROBLEMS.operation(problem, actor, "record_workaround", expected_version) as prb:
        values = require_each(
            {
                "symptom": symptom if symptom is not None else prb.symptom,
                "root_cause": root_cause if root_cause is not None else prb.root_cause,
                "workaround": workaround,
            },
            f"{prb.reference} becomes a known error with its symptom, root cause and workaround: "
            "give the {missing}.",
        )
        changes: dict[str, list] = {"status": [prb.status, P.KNOWN_ERROR]}
        for field, value in values.items():
            if value != getattr(prb, field):
                changes[field] = [getattr(prb, field) or None, value]
        prb.record_workaround(**values, at=timezone.now())
        incidents = list(
            prb.incidents.filter(pk__in=incidents_visible_to(actor).values("pk"))
            .order_by("problem_links__linked_at", "id")
            .values_list("reference", flat=True)
        )
        article = article_create(
            actor=actor,
            title=_article_title(prb),
            body=_article_body(prb),
            type=ArticleType.WORKAROUND,
            incidents=incidents,
            submit=True,
        )
        prb.articles.add(article)
        changes["article"] = [None, article.reference]
        return PROBLEMS.save(prb, action="update", actor=actor, changes=changes)


def problem_resolve(
    *,
    problem: Problem | str,
    actor,
    fix_summary: str,
    validation_evidence: str,
    expected_version: int | None = None,
) -> Problem:
    """SOP 19 (resolve): the root cause is fixed, with the evidence that the fix works (a
    problem under investigation may be resolved without a workaround ever being needed).
    Starts the stability window."""
    values = require_each(
        {"fix_summary": fix_summary, "validation_evidence": validation_evidence},
        "Resolving a problem needs what was fixed and the evidence it works: give the {missing}.",
    )
    with PROBLEMS.operation(problem, actor, "resolve", expected_version) as prb:
        before = prb.status
        prb.resolve(**values, at=timezone.now())
        return PROBLEMS.save(
            prb,
            action="resolve",
            actor=actor,
            changes={"status": [before, P.RESOLVED], **{f: [None, v] for f, v in values.items()}},
        )


def problems_recurring_incidents(problem: Problem) -> list[str]:
    """The linked incidents that recurred since ``problem`` was resolved: created after it,
    or reopened after it (a reopen is an event of the incident's trail; the incident keeps
    only how often it was reopened). Two queries."""
    since = problem.resolved_at
    links = problem.incident_links.select_related("incident").only(
        "incident__reference", "incident__created_at", "linked_at"
    )
    incidents = {link.incident.reference: link.incident for link in links}
    created = {ref for ref, incident in incidents.items() if incident.created_at > since}
    reopened = set(
        AuditEvent.objects.filter(
            ref_type="incident", ref_id__in=list(incidents), domain_action="reopen", timestamp__gt=since
        ).values_list("ref_id", flat=True)
    ) if incidents else set()  # fmt: skip
    return sorted(created | reopened)


def problem_close(
    *, problem: Problem | str, actor, closure_notes: str, expected_version: int | None = None
) -> Problem:
    """SOP 19 (close): a resolved problem closes once its fix has held through the stability
    window (ProblemPolicy, by default 7 days since resolved) with no linked incident
    recurring in it; either refusal is ``precondition_failed``."""
    notes = TEXT.required(closure_notes, "closure_notes", "Closing a problem needs closure_notes.")
    with PROBLEMS.operation(problem, actor, "close", expected_version) as prb:
        resolved = _utc(prb.resolved_at)
        recurring = problems_recurring_incidents(prb)
        if recurring:
            raise DomainError(
                ErrorCode.PRECONDITION_FAILED,
                f"{prb.reference} cannot close: {', '.join(recurring)} recurred after it was resolved on "
                f"{resolved} (created or reopened since), so the fix has not held. Reopen its "
                "investigation to find a lasting fix.",
                {"recurring": recurring},
            )
        days = ProblemPolicy.current().stability_window_days
        ends, now = prb.stability_window_ends_at(days), timezone.now()
        if now < ends:
            raise DomainError(
                ErrorCode.PRECONDITION_FAILED,
                f"{prb.reference} was resolved on {resolved}; it may close from "
                f"{_utc(ends)}, once its fix has held for the {days}-day stability window.",
                {"closable_from": [ends.isoformat()]},
            )
        prb.close(notes=notes, at=now)
        return PROBLEMS.save(
            prb,
            action="close",
            actor=actor,
            changes={"status": [P.RESOLVED, P.CLOSED], "closure_notes": [None, notes]},
        )
