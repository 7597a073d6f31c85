"""Writing the knowledge base: a new article, the editor of a working copy, and the POST of
an article's operation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, ErrorCode
from knowledge import forms, services
from knowledge.policy import may
from knowledge.services import ARTICLES
from knowledge.views.actions import ACTIONS
from knowledge.views.articles import detail_context, load
from operations.pages import page_act, posted_version


def _shape_error(form) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)


@login_required
@require_http_methods(["GET", "POST"])
def kb_new(request):
    """Write an article (staff who write; end users read)."""
    if not may(request.user, "create"):
        return render(request, "403.html", {"message": "Your role may not write KB articles."}, status=403)
    form = forms.ArticleNewForm(request.POST or None, initial={"type": "resolution"})
    error = None
    if request.method == "POST":
        if not form.is_valid():
            error = _shape_error(form)
        else:
            try:
                article = services.article_create(actor=request.user, **form.cleaned_data)
            except DomainError as refusal:
                error = refusal
            else:
                messages.success(
                    request, f"{article.reference} saved as {article.get_status_display().lower()}."
                )
                return redirect("kb-page", reference=article.reference)
    context = {"form": form, "error": error, "article": None}
    return render(request, "knowledge/editor.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def kb_edit(request, reference: str):
    """The editor of a working copy (a draft, or an article in review)."""
    article = load(request, reference)
    if "edit" not in ARTICLES.allowed_actions(request.user, article):
        try:
            ARTICLES.authorize(request.user, "edit", article)
            ARTICLES.require_state(article, "edit")
        except DomainError as refusal:
            return render(request, "403.html", {"message": refusal.message}, status=refusal.http_status)
    initial = {"title": article.title, "type": article.type, "body": article.body}
    form = forms.ArticleForm(request.POST or None, initial=initial)
    error = None
    if request.method == "POST":
        if not form.is_valid():
            error = _shape_error(form)
        else:
            try:
                services.article_edit(
                    article=article.reference, actor=request.user,
                    expected_version=posted_version(request), **form.cleaned_data,
                )  # fmt: skip
            except DomainError as refusal:
                error = refusal
            else:
                messages.success(request, f"{article.reference}: working copy saved.")
                return redirect("kb-page", reference=article.reference)
    context = {"form": form, "error": error, "article": article}
    return render(request, "knowledge/editor.html", context, status=400 if error else 200)


@login_required
@require_POST
def kb_act(request, reference: str, operation: str):
    """One operation of the article page (submit, approve, reject, revise, retire)."""
    article = load(request, reference)

    def rerender(*, error, error_op, bound):
        fresh = load(request, reference)
        context = detail_context(request, fresh, error=error, error_op=error_op, bound=bound)
        return render(request, "knowledge/detail.html", context, status=error.http_status)

    return page_act(
        request, obj=article, operation=operation, actions=ACTIONS, subject="article",
        rerender=rerender, success_url=reverse("kb-page", args=[article.reference]),
    )  # fmt: skip
