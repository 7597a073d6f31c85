"""The only writers of KB articles (SOP 15), each one operation on the shared path
(operations.path): validate, authorize, check the state, apply, save and audit in one
transaction; any refusal changes nothing."""

from collections.abc import Iterable

from django.db import transaction

from core.errors import validation_error
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from knowledge.choices import ArticleStatus, ArticleType
from knowledge.models import Article
from knowledge.policy import authorize
from knowledge.selectors import articles_visible_to
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
    visible_to=articles_visible_to,
    authorize=authorize,
    rules=STATE_RULES,
    noun="article",
    related=("author",),
)
TEXT = TextRules({"title": 200, "body": 50_000, "reason": 2_000, "comment": 2_000})


def _incidents(actor, references: Iterable[str]) -> list[Incident]:
    """The incidents named, each visible to ``actor``, or a validation error naming the first
    that is not."""
    references = list(dict.fromkeys(references))
    found = {i.reference: i for i in incidents_visible_to(actor).filter(reference__in=references)}
    for reference in references:
        if reference not in found:
            raise validation_error(f"No incident {reference}.", incidents=f"No incident {reference}.")
    return [found[r] for r in references]


def article_create(
    *,
    actor,
    title: str,
    body: str,
    type: str,
    incidents: Iterable[str] = (),
    submit: bool = False,
) -> Article:
    """Write a new article as a draft (``submit``: straight into review), linked to the
    incidents named."""
    title = TEXT.required(title, "title", "An article needs a title.")
    body = TEXT.required(body, "body", "An article needs a body.")
    inputs.choice(type, ArticleType, "type")
    authorize(actor, "create")
    with transaction.atomic():
        linked = _incidents(actor, incidents)
        article = Article(title=title, body=body, type=type, author=actor)
        if submit:
            article.submit()
        ARTICLES.create(
            article,
            actor=actor,
            changes={"title": [None, title], "type": [None, type], "status": [None, article.status]},
            extra={"incidents": [i.reference for i in linked]} if linked else None,
        )
        article.incidents.add(*linked)
    return article
