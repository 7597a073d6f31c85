"""Reads of KB articles, scoped to the viewer. Staff see every article, as its working copy;
readers (end users) see the articles that have a published version and are not retired, as
that version: a revision being drafted or reviewed stays out of their sight."""

from django.db.models import Case, Exists, FloatField, OuterRef, Prefetch, Q, QuerySet, Value, When

from core.roles import STAFF_ROLES, user_roles
from incidents.selectors import incidents_visible_to
from knowledge import search
from knowledge.choices import ArticleStatus
from knowledge.models import Article, ArticleVersion

SUGGESTIONS = 5
SAME_SERVICE_BONUS = 0.3


def reads_working_copy(user) -> bool:
    """Staff read an article's working copy (and every status); others its published version."""
    return bool(user_roles(user) & STAFF_ROLES)


def _published_q() -> Q:
    return Q(published_version__isnull=False) & ~Q(status=ArticleStatus.RETIRED)


def articles_visible_to(user) -> QuerySet[Article]:
    roles = user_roles(user)
    if not roles:
        return Article.objects.none()
    if roles & STAFF_ROLES:
        return Article.objects.all()
    return Article.objects.filter(_published_q())


def articles_lockable_by(user) -> QuerySet[Article]:
    """What an operation locks: the visible articles, without their search vectors (never
    read by an operation, and not written back unless it sets them)."""
    return articles_visible_to(user).defer(*search.SEARCH_FIELDS)


def article_rows(user) -> QuerySet[Article]:
    """The visible articles with what a list row shows (the author and, for readers, the
    published version), in one query, without their long texts."""
    rows = articles_visible_to(user).select_related("author", "published_version__author")
    return rows.defer(*search.SEARCH_FIELDS, "body", "review_note", "published_version__body")


def _published_versions() -> Prefetch:
    return Prefetch(
        "published_version", queryset=ArticleVersion.objects.select_related("author").defer("body")
    )


def article_search(queryset: QuerySet[Article], text: str, user) -> QuerySet[Article]:
    """``queryset``'s articles matching ``text`` as ``user`` reads them, best first.

    The matches are read without joins, their authors and published versions after (one
    query each): joined, PostgreSQL sorted every match by rank before joining and only then
    took the page (an external sort of 40,000 rows for a common word of 100,000 articles);
    alone, it keeps only a page's best rows while it ranks (a top-N heapsort)."""
    found = search.search(queryset, text, published=not reads_working_copy(user))
    return found.select_related(None).prefetch_related("author", _published_versions())


def article_detail_queryset(user) -> QuerySet[Article]:
    return (
        articles_visible_to(user)
        .select_related("author", "published_version__author", "published_version__approved_by")
        .defer(*search.SEARCH_FIELDS)
    )


def article_versions(article: Article) -> list[dict]:
    """The article's published versions, newest first, without their bodies (one query)."""
    return list(
        ArticleVersion.objects.filter(article=article)
        .order_by("-number")
        .values("number", "title", "type", "published_at", "author__username", "approved_by__username")
    )


def article_version(article: Article, number: int) -> ArticleVersion | None:
    return (
        ArticleVersion.objects.filter(article=article, number=number)
        .select_related("author", "approved_by")
        .first()
    )


def article_incidents(article: Article, user) -> list[dict]:
    """The incidents linked to ``article`` that ``user`` may see (one query)."""
    rows = incidents_visible_to(user).filter(kb_articles=article).order_by("-created_at")
    return list(rows.values("reference", "title", "status"))


def review_queue(user) -> QuerySet[Article]:
    """The articles waiting for an approver, oldest submission first."""
    return article_rows(user).filter(status=ArticleStatus.IN_REVIEW).order_by("updated_at", "id")


def as_read_by(article: Article, user) -> dict:
    """What ``user`` reads of ``article``: the working copy for staff, the published
    version for readers (title, type, status, author, published_at)."""
    published = article.published_version
    if reads_working_copy(user) or published is None:
        return {
            "title": article.title,
            "type": article.type,
            "status": article.status,
            "author": article.author.get_username(),
        }
    return {
        "title": published.title,
        "type": published.type,
        "status": ArticleStatus.PUBLISHED.value,
        "author": published.author.get_username(),
    }


# ---- the incident's panel -------------------------------------------------------------
def incident_articles(incident, user) -> list[dict]:
    """The articles linked to ``incident`` that ``user`` may see, as they read them (one
    query, whatever their number): what the incident's detail lists under ``kb_articles``."""
    rows = article_rows(user).filter(incidents=incident).order_by("-created_at", "-id")
    items = []
    for article in rows:
        seen = as_read_by(article, user)
        items.append({"id": article.reference, "title": seen["title"], "type": seen["type"],
                      "status": seen["status"]})  # fmt: skip
    return items


def incident_suggestions(incident, user, limit: int = SUGGESTIONS) -> list[Article]:
    """Published articles that may help with ``incident``, best first, at most ``limit``
    (one query): those matching a word of its title (full text on PostgreSQL) and those
    linked to other incidents of its service, not those already linked to it."""
    match = search.suggestion_match(incident.title)
    through = Article.incidents.through
    used_on_service = Exists(
        through.objects.filter(
            article_id=OuterRef("pk"), incident__affected_service_id=incident.affected_service_id
        ).exclude(incident_id=incident.pk)
    )
    rows = (
        Article.objects.filter(_published_q())
        .exclude(incidents=incident)
        .prefetch_related(_published_versions())  # not joined: a top-N sort (article_search)
        .defer(*search.SEARCH_FIELDS, "body", "review_note")
        .annotate(same_service=used_on_service)
    )
    if match is None:
        rows = rows.filter(same_service=True).annotate(score=Value(SAME_SERVICE_BONUS))
    else:
        condition, score = match
        rows = rows.filter(condition | Q(same_service=True)).annotate(
            score=score
            + Case(
                When(same_service=True, then=Value(SAME_SERVICE_BONUS)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
    return list(rows.order_by("-score", "-published_at", "-id")[:limit])
