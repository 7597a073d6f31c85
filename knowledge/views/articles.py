"""Reading the knowledge base: search and list, the review queue, an article, a version,
the diff of two."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.errors import DomainError, ErrorCode
from core.roles import user_roles
from knowledge import selectors
from knowledge.diff import article_diff
from knowledge.filtersets import ArticleFilterSet
from knowledge.links import link_targets
from knowledge.policy import APPROVERS, may
from knowledge.services import ARTICLES
from knowledge.views.actions import ACTIONS
from operations.display import record_timeline
from operations.pages import action_panels

PAGE_SIZE = 25
FILTER_KEYS = ("status", "type", "author", "incident", "created_after", "created_before")


def rows_for(articles, user) -> list[dict]:
    return [{"article": a, "seen": selectors.as_read_by(a, user), "rank": getattr(a, "rank", None)}
            for a in articles]  # fmt: skip


@login_required
@require_GET
def kb_list(request):
    """Search and list: readers find the published articles in use; staff every article,
    with its status."""
    user = request.user
    rows = selectors.article_rows(user).order_by("-created_at", "-id")
    filterset = ArticleFilterSet(request.GET, queryset=rows, request=request)
    found = filterset.qs if filterset.is_valid() else rows.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    staff = selectors.reads_working_copy(user)
    context = {
        "filterset": filterset,
        "page": page,
        "rows": rows_for(page.object_list, user),
        "query": params.urlencode(),
        "q": request.GET.get("q", ""),
        "staff": staff,
        "writes": may(user, "create"),
        "approves": bool(user_roles(user) & APPROVERS),
        "active_filters": sum(1 for key in FILTER_KEYS if any(request.GET.getlist(key))),
    }
    return render(request, "knowledge/list.html", context)


@login_required
@require_GET
def kb_review(request):
    """The review queue: articles in review, for the incident managers who approve them."""
    if not user_roles(request.user) & APPROVERS:
        message = "Only an incident manager reviews KB articles."
        return render(request, "403.html", {"message": message}, status=403)
    page = Paginator(selectors.review_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"article": a, "own": a.wrote(request.user)} for a in page.object_list]
    return render(request, "knowledge/review.html", {"page": page, "rows": rows})


def load(request, reference: str):
    article = selectors.article_detail_queryset(request.user).filter(reference=reference).first()
    if article is None:
        raise Http404(f"Article {reference} was not found.")
    return article


def detail_context(request, article, *, error=None, error_op=None, bound=None) -> dict:
    user = request.user
    staff = selectors.reads_working_copy(user)
    allowed = ARTICLES.allowed_actions(user, article)
    panels = action_panels(
        request, article, ARTICLES, ACTIONS, lambda op: reverse("kb-act", args=[article.reference, op]),
        error_op=error_op, bound=bound,
    )  # fmt: skip
    published = article.published_version
    return {
        "article": article,
        "seen": selectors.as_read_by(article, user),
        "body": article.body if staff or published is None else published.body,
        "staff": staff,
        "allowed": allowed,
        "panels": panels,
        "error": error,
        "error_op": error_op,
        "versions": selectors.article_versions(article),
        "incidents": selectors.article_incidents(article, user),
        "linked": [{"label": t.label, "rows": _linked_rows(t, article, user)} for t in link_targets()],
        "timeline": record_timeline(article, "article") if staff else [],
        "under_revision": staff and published is not None and article.status in ("draft", "in_review"),
    }


@login_required
@require_GET
def kb_detail(request, reference: str):
    return render(request, "knowledge/detail.html", detail_context(request, load(request, reference)))


@login_required
@require_GET
def kb_version(request, reference: str, number: int):
    article = load(request, reference)
    version = selectors.article_version(article, number)
    if version is None:
        raise Http404(f"Version {number} of {reference} was not found.")
    context = {"article": article, "version": version, "versions": selectors.article_versions(article)}
    return render(request, "knowledge/version.html", context)


@login_required
@require_GET
def kb_diff(request, reference: str):
    """What changed between two versions (``?from=1&to=2``; staff: ``working``)."""
    article = load(request, reference)
    versions = selectors.article_versions(article)
    latest = versions[0]["number"] if versions else None
    default_from = str(latest - 1) if latest and latest > 1 else str(latest or "")
    source = request.GET.get("from") or default_from
    target = request.GET.get("to") or (str(latest) if latest else "")
    error, changes = None, None
    try:
        changes = article_diff(article, request.user, source, target)
    except DomainError as refusal:
        if refusal.code == ErrorCode.NOT_FOUND:
            raise Http404(refusal.message) from refusal
        error = refusal
    context = {
        "article": article, "versions": versions, "diff": changes, "error": error,
        "source": source, "target": target, "staff": selectors.reads_working_copy(request.user),
    }  # fmt: skip
    return render(request, "knowledge/diff.html", context, status=400 if error else 200)


def _linked_rows(target, article, user) -> list[dict]:
    """The problems or changes the article was written for, as ``user`` may see them."""
    return [{**row, "href": reverse(target.page, args=[row["id"]])} for row in target.items(article, user)]
