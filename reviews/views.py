"""Post-incident reviews in the browser: the list (the API's filters), a review's page with
its action panels and action items, the form that files one, my action items and the
overdue ones. Views read through reviews.selectors and write through reviews.services,
as the API does; a refusal is shown once, beside the form it came from."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, ErrorCode
from incidents.selectors import incident_for_page
from operations.display import record_timeline
from operations.form_html import form_html
from operations.pages import PageAction, action_panels, page_act, posted_version
from reviews import forms, services
from reviews.api.serializers import item_actions
from reviews.filtersets import ReviewFilterSet
from reviews.policy import authorize
from reviews.requirement import pir_requirement
from reviews.selectors import action_items_overdue, action_items_owned_by, review_for_page, review_rows
from reviews.services.base import REVIEWS
from reviews.services.review import REVIEWABLE

PAGE_SIZE = 25


def _text_initial(review) -> dict:
    return {
        "timeline": review.timeline,
        "contributing_factors": review.contributing_factors,
        "root_cause": review.root_cause,
        "lessons": review.lessons,
        "kb_articles": ", ".join(sorted(a.reference for a in review.kb_articles.all())),
    }


ACTIONS: dict[str, PageAction] = {
    "update": PageAction(
        "Edit the review", forms.ReviewEditForm, services.review_update, initial=_text_initial
    ),
    "add_item": PageAction("Add an action item", forms.ActionItemForm, services.action_item_add),
    "complete": PageAction("Complete the review", forms.CompleteForm, services.review_complete, "primary"),
}
# item operation -> (label, form, the service's keywords beside the form's values)
ITEM_ACTIONS = {
    "done": ("Mark done", forms.ItemStatusForm, {"status": "done"}),
    "cancel": ("Cancel", forms.ItemStatusForm, {"status": "cancelled"}),
    "edit": ("Change", forms.ActionItemEditForm, {}),
}


def _values(cleaned: dict) -> dict:
    """A form's values as the services take them: a KB list from its text, empty fields
    as not given."""
    if "kb_articles" in cleaned:
        cleaned["kb_articles"] = forms.references(cleaned["kb_articles"])
    return {k: v for k, v in cleaned.items() if v not in ("", None) or k in ("lessons", "kb_articles")}


def _load(request, reference: str):
    review = review_for_page(request.user, reference)
    if review is None:
        raise Http404(f"Post-incident review {reference} was not found.")
    return review


# ---- list -------------------------------------------------------------------------------
@login_required
@require_GET
def review_list(request):
    rows = review_rows(request.user)
    filterset = ReviewFilterSet(request.GET, queryset=rows)
    rows = (filterset.qs if filterset.is_valid() else rows.none()).order_by("-created_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request, "reviews/list.html", {"filterset": filterset, "page": page, "query": params.urlencode()}
    )


# ---- one review -------------------------------------------------------------------------
def _item_rows(request, review, *, error_item=None, error_op=None, bound=None) -> list[dict]:
    today = timezone.localdate()
    rows = []
    for item in review.action_items.all():
        actions = item_actions(request.user, review, item)
        forms_html = {}
        for op in actions:
            _, form_class, _ = ITEM_ACTIONS[op]
            if item.number == error_item and op == error_op and bound is not None:
                forms_html[op] = form_html(bound)
            elif op == "edit":
                owner = item.owner.username if item.owner else ""
                initial = {"description": item.description, "owner": owner, "due_date": item.due_date}
                forms_html[op] = form_html(form_class(initial=initial, prefix=f"item{item.number}"))
            else:
                forms_html[op] = ""
        rows.append(
            {
                "item": item,
                "overdue": item.status == "open" and item.due_date is not None and item.due_date < today,
                "actions": [(op, ITEM_ACTIONS[op][0], forms_html[op]) for op in actions],
                "error_op": error_op if item.number == error_item else None,
            }
        )
    return rows


def _render_detail(request, review, *, error=None, error_op=None, bound=None, error_item=None):
    def url(op):
        return reverse("review-act", args=[review.reference, op])

    panel_error = error_op if error_item is None else None
    context = {
        "review": review,
        "incident": review.incident,
        "panels": action_panels(request, review, REVIEWS, ACTIONS, url, error_op=panel_error, bound=bound),
        "items": _item_rows(request, review, error_item=error_item, error_op=error_op, bound=bound),
        "timeline": record_timeline(review),
        "error": error,
        "error_item": error_item,
        "error_op": error_op,
    }
    return render(request, "reviews/detail.html", context)


@login_required
@require_GET
def review_detail(request, reference: str):
    return _render_detail(request, _load(request, reference))


@login_required
@require_POST
def review_act(request, reference: str, operation: str):
    review = _load(request, reference)

    def rerender(**context):
        return _render_detail(request, _load(request, reference), **context)

    return page_act(request, obj=review, operation=operation, actions=ACTIONS, subject="review",
                    rerender=rerender, success_url=reverse("review-page", args=[reference]),
                    values=_values)  # fmt: skip


@login_required
@require_POST
def item_act(request, reference: str, number: int, operation: str):
    """One action item's operation from the browser (its page, or my action items:
    ``next`` says where to go back)."""
    if operation not in ITEM_ACTIONS:
        raise Http404(f"No operation {operation}.")
    _load(request, reference)  # not found unless visible
    label, form_class, fixed = ITEM_ACTIONS[operation]
    form = form_class(request.POST, prefix=f"item{number}" if operation == "edit" else None)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    error = None
    if not form.is_valid():
        error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
    else:
        try:
            services.action_item_update(review=reference, number=number, actor=request.user,
                                        expected_version=posted_version(request),
                                        **_values(dict(form.cleaned_data)), **fixed)  # fmt: skip
        except DomainError as refusal:
            if refusal.code == ErrorCode.NOT_FOUND:
                raise Http404(refusal.message) from refusal
            error = refusal
    if error is None:
        messages.success(request, f"{reference}: action item {number} — {label.lower()} done.")
        return redirect(back or reverse("review-page", args=[reference]))
    if back == reverse("review-my-items"):
        messages.error(request, error.message)
        return redirect(back)
    return _render_detail(request, _load(request, reference), error=error, error_op=operation,
                          bound=form if operation == "edit" else None, error_item=number)  # fmt: skip


# ---- filing one -------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def review_new(request):
    """File the PIR of ``?incident=INC-…``: its texts here, its action items on its page."""
    reference = (request.GET.get("incident") or request.POST.get("incident") or "").strip().upper()
    incident = incident_for_page(request.user, reference) if reference else None
    if incident is None:
        raise Http404(f"Incident {reference or '(none given)'} was not found.")
    try:
        authorize(request.user, "create")
    except DomainError as refusal:
        return render(request, "403.html", {"message": refusal.message}, status=refusal.http_status)
    form = forms.ReviewCreateForm(request.POST or None, initial={"incident": incident.reference})
    error = None
    if request.method == "POST":
        if form.is_valid():
            try:
                review = services.review_create(actor=request.user, **_values(dict(form.cleaned_data)))
            except DomainError as refusal:
                error = refusal
            else:
                messages.success(
                    request, f"{review.reference} filed for {incident.reference}; add its action items."
                )
                return redirect("review-page", reference=review.reference)
        else:
            error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
    existing = incident.review if incident.pir_filed_at else None
    context = {
        "incident": incident,
        "form": form,
        "error": error,
        "existing": existing,
        "reviewable": incident.status in REVIEWABLE,
        "requirement": pir_requirement(incident),
    }
    return render(request, "reviews/new.html", context)


# ---- action items -----------------------------------------------------------------------
@login_required
@require_GET
def my_items(request):
    """My action items: open ones first, each open one with its buttons."""
    page = Paginator(action_items_owned_by(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        {
            "item": item,
            "actions": [
                (op, ITEM_ACTIONS[op][0])
                for op in item_actions(request.user, item.review, item)
                if op != "edit"
            ],
            "overdue": item.status == "open" and item.due_date is not None and item.due_date < today,
        }
        for item in page.object_list
    ]
    return render(request, "reviews/my_items.html", {"page": page, "rows": rows})


@login_required
@require_GET
def overdue_items(request):
    """Every open action item past its due date, on the reviews the viewer may see."""
    page = Paginator(action_items_overdue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"item": item, "days": (today - item.due_date).days} for item in page.object_list]
    return render(request, "reviews/overdue.html", {"page": page, "rows": rows})
