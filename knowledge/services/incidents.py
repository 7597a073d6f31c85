"""The KB operations on an incident (API.md ``link-kb/``, ``kb-update/``), on the incident's
shared path (incidents.services.sop.base.INCIDENTS: locked through the actor's visibility,
its expected version checked) with the article locked beside it.

- Linking an existing article (SOP 7: one used during diagnosis) is allowed in any state.
- A KB update (SOP 15) drafts a new article from what the incident taught, or revises an
  existing one, only once the incident is closed.

Each writes the incident's event and the article's in one append to the trail.
"""

from dataclasses import replace

from audit.services import build_event
from core.errors import DomainError, ErrorCode, validation_error
from incidents.choices import Status
from incidents.models import Incident
from incidents.services.sop.base import INCIDENTS
from knowledge import search
from knowledge.choices import ArticleStatus
from knowledge.models import Article
from knowledge.policy import authorize, authorize_incident
from knowledge.services.base import (
    ARTICLES,
    LINK_RULES,
    add_editor,
    apply_content,
    article_reference,
    content,
)

A = ArticleStatus
INCIDENT_KB = replace(
    INCIDENTS,
    authorize=authorize_incident,
    rules={
        "link_kb": (tuple(Status.values), "linked to a KB article"),
        "kb_update": ((Status.CLOSED,), "written up in the knowledge base"),
    },
    offers=None,
)


def _article(actor, reference: str) -> Article:
    """The article named, locked, as ``actor`` may see it; a reference to none is bad input
    (400, ``fields.article``), as every other reference in a request body is."""
    try:
        return ARTICLES.lock(ARTICLES.visible_to(actor), reference)
    except DomainError as error:
        if error.code != ErrorCode.NOT_FOUND:
            raise
        raise validation_error(
            f"No KB article {reference}.", article=f"No KB article {reference}."
        ) from error


def _counted(article: Article) -> None:
    """The article changed (a link, a new working copy): count it in its version."""
    article.version += 1


def _save_article(article: Article, *, text_changed: bool) -> None:
    if text_changed:
        search.keep_vector(article)
    article.save()
    search.forget_vectors(article)


def _save_both(
    incident: Incident, article: Article, *, incident_event: tuple, article_event: tuple
) -> Incident:
    """Save the incident with its event, after the article's event (the article saved by
    then): one append to the trail."""
    action, changes, extra = article_event
    event = build_event(action=action, obj=article, actor=incident_event[3], changes=changes, extra=extra)
    action, changes, extra, actor = incident_event
    return INCIDENTS.save(incident, action=action, actor=actor, changes=changes, extra=extra, before=[event])


def incident_link_kb(*, incident: Incident | str, actor, article: str, expected_version: int | None = None):
    """Link an existing article to the incident, in any state of the incident, by the staff
    who work incidents; a retired article is not linked, nor one linked already."""
    reference = article_reference(article)
    with INCIDENT_KB.operation(incident, actor, "link_kb", expected_version) as inc:
        art = _article(actor, reference)
        LINK_RULES.require_state(art, "link")
        if art.incidents.filter(pk=inc.pk).exists():
            message = f"{art.reference} is already linked to {inc.reference}."
            raise validation_error(message, article=message)
        art.incidents.add(inc)
        _counted(art)
        _save_article(art, text_changed=False)
        return _save_both(
            inc, art,
            incident_event=("link", {"kb_articles": [None, art.reference]}, None, actor),
            article_event=("link", {"incidents": [None, inc.reference]}, None),
        )  # fmt: skip


def incident_kb_update(
    *,
    incident: Incident | str,
    actor,
    title: str,
    body: str,
    type: str,
    article: str | None = None,
    submit: bool = False,
    expected_version: int | None = None,
) -> tuple[Incident, Article]:
    """SOP 15: once the incident is closed, draft a new article from it (``article`` None)
    or revise the one named (a published one gets a new working copy, ``actor`` its
    author; a draft or one in review is edited), link it to the incident and, with
    ``submit``, put it up for review. The incident's event is ``kb_update``; the article's
    ``create`` or ``update``."""
    values = content(title=title, body=body, type=type, required=True)
    reference = article_reference(article) if article not in (None, "") else None
    with INCIDENT_KB.operation(incident, actor, "kb_update", expected_version) as inc:
        if reference is None:
            authorize(actor, "create")
            art = Article(author=actor, **values)
            if submit:
                art.submit()
            _save_article(art, text_changed=True)  # and its reference, for the link
            art.incidents.add(inc)
            created = {"title": [None, art.title], "type": [None, art.type], "status": [None, art.status]}
            article_event = ("create", created, {"incident": inc.reference})
            linked = True
        else:
            art = _article(actor, reference)
            LINK_RULES.require_state(art, "kb_update")
            status, author = art.status, art.author.get_username()
            if art.status == A.PUBLISHED:
                authorize(actor, "revise", art)
                art.revise(author=actor)
            else:
                authorize(actor, "edit", art)
                add_editor(art, actor)
            changes = apply_content(art, values)
            if submit and art.status == A.DRAFT:
                art.submit()
            if art.status != status:
                changes["status"] = [status, art.status]
            if art.author.get_username() != author:
                changes["author"] = [author, art.author.get_username()]
            linked = not art.incidents.filter(pk=inc.pk).exists()
            if linked:
                art.incidents.add(inc)
                changes["incidents"] = [None, inc.reference]
            _counted(art)
            _save_article(art, text_changed=bool({"title", "body"} & set(changes)))
            article_event = ("update", changes, {"incident": inc.reference})
        incident_changes = {"kb_articles": [None, art.reference]} if linked else {}
        saved = _save_both(
            inc, art,
            incident_event=("kb_update", incident_changes, {"article": art.reference,
                                                            "revised": reference is not None}, actor),
            article_event=article_event,
        )  # fmt: skip
        return saved, art
