"""The KB article's own operations (SOP 15's knowledge lifecycle): write, edit, submit for
review, approve (publish a new version), reject, revise, retire. Each runs on the shared
path: validate, lock through the actor's visibility, authorize, check the expected version
and the state, apply, save and audit in one transaction; any refusal changes nothing."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.errors import validation_error
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from knowledge import search
from knowledge.choices import ArticleStatus
from knowledge.links import link_target, visible_by_reference
from knowledge.models import Article, ArticleVersion
from knowledge.policy import authorize
from knowledge.services.base import ARTICLES, TEXT, add_editor, apply_content, content, save

A = ArticleStatus


def _incidents(actor, references: Iterable[str]) -> list[Incident]:
    """The incidents named, each visible to ``actor``, or a validation error naming the first
    that is not."""
    visible = incidents_visible_to(actor)
    return visible_by_reference(visible, list(dict.fromkeys(references)), "incidents", "incident")


def article_create(
    *,
    actor,
    title: str,
    body: str,
    type: str,
    incidents: Iterable[str] = (),
    problems: Iterable[str] = (),
    changes: Iterable[str] = (),
    submit: bool = False,
) -> Article:
    """Write a new article as a draft (``submit``: straight into review), linked to the
    incidents, problems and changes named (each visible to the actor). Its title and body
    may hold no secret (knowledge.secrets)."""
    values = content(title=title, body=body, type=type, required=True)
    authorize(actor, "create")
    with transaction.atomic():
        linked = _incidents(actor, incidents)
        others = _others(actor, {"problems": problems, "changes": changes})
        article = Article(author=actor, **values)
        if submit:
            article.submit()
        search.keep_vector(article)
        ARTICLES.create(
            article,
            actor=actor,
            changes={"title": [None, article.title], "type": [None, article.type],
                     "status": [None, article.status]},
            extra=_links_extra(linked, others),
        )  # fmt: skip
        search.forget_vectors(article)
        article.incidents.add(*linked)
        for key, records in others.items():
            link_target(key).attach(article, records)
    return article


def _others(actor, named: dict[str, Iterable[str]]) -> dict[str, list]:
    """The problems and changes named, found by their apps (knowledge.links)."""
    found = {}
    for key, references in named.items():
        references = [r.strip().upper() for r in references if r and r.strip()]
        if not references:
            continue
        target = link_target(key)
        if target is None:
            raise validation_error(f"Articles cannot be linked to {key} here.", **{key: "Not linkable."})
        found[key] = target.find(actor, list(dict.fromkeys(references)))
    return found


def _links_extra(incidents: list, others: dict[str, list]) -> dict | None:
    extra = {"incidents": [i.reference for i in incidents]} if incidents else {}
    extra.update({key: [r.reference for r in records] for key, records in others.items()})
    return extra or None


def article_edit(
    *,
    article: Article | str,
    actor,
    title: str | None = None,
    body: str | None = None,
    type: str | None = None,
    expected_version: int | None = None,
) -> Article:
    """Change the working copy (a draft, or an article in review) field by field; the trail
    keeps each field's delta. Who edits it, beside its author, may not approve it."""
    values = content(title=title, body=body, type=type, required=False)
    with ARTICLES.operation(article, actor, "edit", expected_version) as art:
        changes = apply_content(art, values)
        if not changes:
            raise validation_error(f"Nothing to change on {art.reference}.", non_field_errors="Unchanged.")
        add_editor(art, actor)
        return save(art, action="update", actor=actor, changes=changes)


def article_submit(*, article: Article | str, actor, expected_version: int | None = None) -> Article:
    """Put a draft up for review by an incident manager."""
    with ARTICLES.operation(article, actor, "submit", expected_version) as art:
        art.submit()
        return save(art, action="update", actor=actor, changes={"status": [A.DRAFT, A.IN_REVIEW]})


def article_approve(
    *, article: Article | str, actor, comment: str = "", expected_version: int | None = None
) -> Article:
    """Publish the working copy in review as the article's next version (immutable; earlier
    versions stay readable). Only an incident manager who neither wrote nor edited it."""
    comment = TEXT.text(comment, "comment")
    with ARTICLES.operation(article, actor, "approve", expected_version) as art:
        now = timezone.now()
        before = art.published_number
        art.approve(at=now)
        art.published_version = ArticleVersion.objects.create(
            article=art, number=art.published_number, title=art.title, body=art.body, type=art.type,
            author=art.author, approved_by=actor, published_at=now,
        )  # fmt: skip
        changes = {"status": [A.IN_REVIEW, A.PUBLISHED], "published_number": [before, art.published_number]}
        if comment != art.review_note:
            changes["review_note"] = [art.review_note, comment]
            art.review_note = comment
        search.publish_vector(art)
        return save(art, action="approve", actor=actor, changes=changes,
                    extra={"version": art.published_number, "author": art.author.get_username()})  # fmt: skip


def article_reject(
    *, article: Article | str, actor, reason: str, expected_version: int | None = None
) -> Article:
    """Send the working copy in review back to draft, with the reason its author reads."""
    reason = TEXT.required(reason, "reason", "Say why the article goes back to its author.")
    with ARTICLES.operation(article, actor, "reject", expected_version) as art:
        art.reject()
        changes = {"status": [A.IN_REVIEW, A.DRAFT], "review_note": [art.review_note, reason]}
        art.review_note = reason
        return save(art, action="reject", actor=actor, changes=changes)


def article_revise(
    *,
    article: Article | str,
    actor,
    title: str | None = None,
    body: str | None = None,
    type: str | None = None,
    expected_version: int | None = None,
) -> Article:
    """Start a new working copy of a published article (back to draft, ``actor`` its author),
    optionally changed at once; readers keep reading the published version until the next
    approval."""
    values = content(title=title, body=body, type=type, required=False)
    with ARTICLES.operation(article, actor, "revise", expected_version) as art:
        author = art.author.get_username()
        art.revise(author=actor)
        changes = {"status": [A.PUBLISHED, A.DRAFT], **apply_content(art, values)}
        if author != actor.get_username():
            changes["author"] = [author, actor.get_username()]
        return save(art, action="update", actor=actor, changes=changes)


def article_retire(
    *, article: Article | str, actor, reason: str = "", expected_version: int | None = None
) -> Article:
    """Take an article out of use: readers no longer find it; staff still read it and its
    versions."""
    reason = TEXT.text(reason, "reason")
    with ARTICLES.operation(article, actor, "retire", expected_version) as art:
        status = art.status
        art.retire(at=timezone.now())
        changes = {"status": [status, A.RETIRED], "retired_at": [None, art.retired_at.isoformat()]}
        return save(
            art, action="update", actor=actor, changes=changes, extra={"reason": reason} if reason else None
        )
