"""Finding articles by the words of their title and body.

On PostgreSQL: full-text search with ranking. Each article stores two ``tsvector`` columns
(GIN-indexed), kept by the services on every write: ``search_vector`` of the working copy,
which staff search, and ``published_search_vector`` of the published version, which readers
search (so a revision being drafted is never found by its new words). A query is read as a
web search (``websearch_to_tsquery``: every word, "quoted phrases", -excluded words) with
English stemming, and the matches come best first (``ts_rank``, the title weighing more
than the body).

Elsewhere (SQLite): every word of the query must appear in the title or the body, ignoring
case; matches come with the most words found in the title first.
"""

import re
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, TextField, Value, When

CONFIG = "english"
SEARCH_FIELDS = ("search_vector", "published_search_vector")
_WORD = re.compile(r"\w+")
# words a suggestion from an incident's title does not look for (both databases)
_COMMON = frozenset(
    "a an and are as at be but by can for from has have in into is it its not of on or our that the "
    "their then there these this to was were when which while who will with after again all any "
    "cannot does doesn down every get gets got how just more now off only out over same some still "
    "than them they too under very what why work working".split()
)


def full_text() -> bool:
    return connection.vendor == "postgresql"


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, each once, in order."""
    return list(dict.fromkeys(w.lower() for w in _WORD.findall(text or "")))


def vector(title: str, body: str) -> SearchVector:
    """The ``tsvector`` of a title (weight A) and a body (weight B), as an expression to save."""
    return SearchVector(Value(title, output_field=TextField()), weight="A", config=CONFIG) + SearchVector(
        Value(body, output_field=TextField()), weight="B", config=CONFIG
    )


def keep_vector(article) -> None:
    """Give the working copy's vector its current text (saved with the article)."""
    if full_text():
        article.search_vector = vector(article.title, article.body)


def publish_vector(article) -> None:
    """The published version is the working copy as it stands: readers' vector becomes its."""
    if full_text():
        article.published_search_vector = F("search_vector")


def forget_vectors(article) -> None:
    """After a save, the vectors (expressions until then) are read again only if asked for."""
    for name in SEARCH_FIELDS:
        article.__dict__.pop(name, None)


def search(queryset: QuerySet, text: str, *, published: bool) -> QuerySet:
    """``queryset``'s articles matching ``text``, best first, each with its ``rank``;
    ``published``: match what readers read (the published version) rather than the working
    copy."""
    text = (text or "").strip()
    if full_text():
        field = "published_search_vector" if published else "search_vector"
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        return (
            queryset.filter(**{field: query})
            .annotate(rank=SearchRank(F(field), query))
            .order_by("-rank", "-id")
        )
    title, body = ("published_version__title", "published_version__body") if published else ("title", "body")
    found = words(text)
    if not found:
        return queryset.none()
    matches = reduce(and_, [Q(**{f"{title}__icontains": w}) | Q(**{f"{body}__icontains": w}) for w in found])
    in_title = [When(**{f"{title}__icontains": w}, then=Value(1)) for w in found]
    rank = reduce(
        lambda a, b: a + b, [Case(case, default=Value(0), output_field=IntegerField()) for case in in_title]
    )
    return queryset.filter(matches).annotate(rank=rank).order_by("-rank", "-id")


def suggestion_match(text: str) -> tuple[Q, object] | None:
    """A condition on published articles matching ANY significant word of ``text`` (an
    incident's title) and the expression of how well each matches, or None without such a
    word."""
    found = [w for w in words(text) if len(w) >= 3 and w not in _COMMON and not w.isdigit()][:12]
    if not found:
        return None
    if full_text():
        query = SearchQuery(" or ".join(found), search_type="websearch", config=CONFIG)
        return Q(published_search_vector=query), SearchRank(F("published_search_vector"), query)
    conditions = [
        Q(published_version__title__icontains=w) | Q(published_version__body__icontains=w) for w in found
    ]
    score = reduce(
        lambda a, b: a + b,
        [
            Case(When(condition, then=Value(0.1)), default=Value(0.0), output_field=FloatField())
            for condition in conditions
        ],
    )
    return reduce(or_, conditions), score
