"""The KB article on the shared operation path (operations.path): its visibility, policy and
state rules, its rules of input (text limits, the secrets it may not hold), and the save
that keeps its search vector with every change of its text."""

from dataclasses import replace

from core.errors import validation_error
from knowledge import search
from knowledge.choices import ArticleStatus, ArticleType
from knowledge.models import Article
from knowledge.policy import authorize
from knowledge.secrets import refuse_secrets
from knowledge.selectors import articles_lockable_by
from operations import inputs
from operations.inputs import TextRules
from operations.path import Governed, state_rules

A = ArticleStatus
STATE_RULES = state_rules(
    {
        "edit": ((A.DRAFT, A.IN_REVIEW), "edited"),
        "submit": (Article.submit, "submitted for review"),
        "approve": (Article.approve, "approved"),
        "reject": (Article.reject, "rejected"),
        "revise": (Article.revise, "revised"),
        "retire": (Article.retire, "retired"),
    }
)
ARTICLES = Governed(
    model=Article,
    visible_to=articles_lockable_by,
    authorize=authorize,
    rules=STATE_RULES,
    noun="article",
    related=("author",),
)
# what an incident may do with an article (incident_link_kb, incident_kb_update): the
# article's states, checked on the article locked beside the incident
LINK_RULES = replace(
    ARTICLES,
    rules=state_rules(
        {
            "link": ((A.DRAFT, A.IN_REVIEW, A.PUBLISHED), "linked to an incident"),
            "kb_update": ((A.DRAFT, A.IN_REVIEW, A.PUBLISHED), "updated from an incident"),
        }
    ),
)
TEXT = TextRules({"title": 200, "body": 50_000, "reason": 2_000, "comment": 2_000})
REQUIRED = {"title": "An article needs a title.", "body": "An article needs a body."}


def content(*, title: str | None, body: str | None, type: str | None, required: bool) -> dict:
    """The working copy's fields given (all of them when ``required``), each checked: text
    within its limit, a known type, and no secret in the title or the body."""
    values: dict = {}
    raw = {"title": title, "body": body}
    for field, value in raw.items():
        if value is None and not required:
            continue
        values[field] = TEXT.required(value, field, REQUIRED[field])
    if type is not None or required:
        values["type"] = inputs.choice(type, ArticleType, "type")
    refuse_secrets({field: raw[field] for field in ("title", "body") if field in values})
    return values


def apply_content(article: Article, values: dict) -> dict:
    """Set ``values`` on the working copy; the delta of what changed."""
    changes = {}
    for field, value in values.items():
        if getattr(article, field) != value:
            changes[field] = [getattr(article, field), value]
            setattr(article, field, value)
    return changes


def add_editor(article: Article, actor) -> None:
    """Whoever changes the working copy, beside its author, is one of its editors (none of
    them approves it)."""
    if actor.pk != article.author_id and actor.pk not in (article.editor_ids or []):
        article.editor_ids = [*(article.editor_ids or []), actor.pk]


def save(article: Article, *, action: str, actor, changes: dict, extra: dict | None = None, before=()):
    """``ARTICLES.save`` with the search vector of the text as it now stands."""
    if {"title", "body"} & set(changes) or article.pk is None:
        search.keep_vector(article)
    try:
        return ARTICLES.save(article, action=action, actor=actor, changes=changes, extra=extra, before=before)
    finally:
        search.forget_vectors(article)


def article_reference(value, field: str = "article") -> str:
    reference = str(value or "").strip().upper()
    if not reference:
        raise validation_error("Name the KB article (KB-…).", **{field: "This field is required."})
    return reference
