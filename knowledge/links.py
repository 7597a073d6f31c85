"""The records above knowledge that articles link to (problems, changes): each such app
registers, in its ``AppConfig.ready``, how to find its records for an actor by reference,
how to link them to an article, and what an article's detail lists of them. Knowledge never
imports those apps (they depend on it)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkTarget:
    key: str  # the field of a KB create and of an article's detail: "problems"
    find: Callable[..., list]  # (actor, references) -> the records, each visible, or validation_error
    attach: Callable[..., None]  # (article, records) -> links them
    items: Callable[..., list[dict]]  # (article, user) -> what the detail lists (one query)
    label: str = ""  # the article page's heading: "Problems"
    page: str = ""  # the URL name of a record's page: "problem-page"


_TARGETS: dict[str, LinkTarget] = {}


def link_target_register(target: LinkTarget) -> None:
    _TARGETS[target.key] = target


def link_targets() -> list[LinkTarget]:
    return sorted(_TARGETS.values(), key=lambda t: t.key)


def link_target(key: str) -> LinkTarget | None:
    return _TARGETS.get(key)


def visible_by_reference(queryset, references: list[str], field: str, noun: str) -> list:
    """The records of ``queryset`` (the actor's visible ones) named by ``references``, in
    that order, or a validation error naming the first that is not there."""
    from core.errors import validation_error

    found = {record.reference: record for record in queryset.filter(reference__in=references)}
    for reference in references:
        if reference not in found:
            raise validation_error(f"No {noun} {reference}.", **{field: f"No {noun} {reference}."})
    return [found[r] for r in references]


def link_target_for(
    key: str, noun: str, visible_to: Callable, page: str, title_field: str = "title"
) -> LinkTarget:
    """The link target of a model whose ``articles`` many-to-many has the related name
    ``key`` on the article (problems.Problem.articles, changes.Change.articles)."""

    def find(actor, references):
        return visible_by_reference(visible_to(actor), references, key, noun)

    def attach(article, records):
        getattr(article, key).add(*records)

    def items(article, user):
        rows = visible_to(user).filter(articles=article).order_by("-created_at")
        return [
            {"id": row["reference"], "title": row[title_field], "status": row["status"]}
            for row in rows.values("reference", title_field, "status")
        ]

    return LinkTarget(key=key, find=find, attach=attach, items=items, label=key.capitalize(), page=page)
