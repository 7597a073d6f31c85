"""Changes in the browser: the list (the API's filters), the CAB queue, the request form, the
change page with its actions and timeline, and the incident's link-change form.

Views read through changes.selectors and write through changes.services, exactly as the API
does; a refusal is shown once, beside the form it came from, on the page shown again (200, as
the incident desk does).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from changes import forms, services
from changes.filtersets import ChangeFilterSet
from changes.policy import CAB, may
from changes.related import change_links
from changes.selectors import (
    cab_queue,
    change_detail_queryset,
    change_rows,
    sees_changes,
    visible_incident_links,
)
from changes.services import CHANGES
from core.errors import DomainError, ErrorCode
from core.roles import Role, user_roles
from incidents.selectors import incidents_visible_to
from operations.display import record_timeline
from operations.pages import PageAction, action_panels, page_act, posted_version

PAGE_SIZE = 25
ACTIONS: dict[str, PageAction] = {
    "approve": PageAction("Approve", forms.ApproveForm, services.change_approve, "primary"),
    "reject": PageAction("Reject", forms.RejectForm, services.change_reject, "warn"),
    "implement": PageAction(
        "Record implementation", forms.ImplementForm, services.change_implement, "primary"
    ),
    "close": PageAction("Close", forms.CloseForm, services.change_close, "primary"),
}
CAB_VIEWERS = CAB | {Role.INCIDENT_MANAGER}


def _refused(request, message: str, status: int = 403):
    return render(request, "403.html", {"message": message}, status=status)


def _staff_only(request):
    if not sees_changes(request.user):
        return _refused(request, "Changes are for IT staff; follow your incidents under My incidents.")
    return None


@login_required
@require_GET
def change_list(request):
    refusal = _staff_only(request)
    if refusal:
        return refusal
    filterset = ChangeFilterSet(request.GET, queryset=change_rows(CHANGES.visible_to(request.user)))
    if filterset.is_valid():
        rows = filterset.qs
        services.changes_record_lookup(actor=request.user, params=request.GET, via="page")
    else:
        rows = CHANGES.visible_to(request.user).none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "changes/list.html", {
        "filterset": filterset, "page_obj": page, "changes": page.object_list, "query": query.urlencode(),
        "may_request": may(request.user, "create"),
    })  # fmt: skip


@login_required
@require_GET
def change_cab(request):
    if not user_roles(request.user) & CAB_VIEWERS:
        return _refused(request, "The CAB queue is for change managers and incident managers.")
    queue = cab_queue(request.user)
    return render(request, "changes/cab.html", {
        "pending": list(queue["pending"]), "retrospective": list(queue["retrospective"]),
        "decides": bool(user_roles(request.user) & CAB),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def change_new(request):
    refusal = _staff_only(request)
    if refusal:
        return refusal
    if not may(request.user, "create"):
        return _refused(request, "Your role may not request changes.")
    error = None
    if request.method == "POST":
        form = forms.ChangeRequestForm(request.POST)
        if form.is_valid():
            values = dict(form.cleaned_data)
            values["incident"] = values["incident"].strip().upper() or None
            try:
                change = services.change_create(actor=request.user, **values)
            except DomainError as refused:
                error = refused
            else:
                messages.success(request, f"{change.reference} requested ({change.get_status_display()}).")
                return redirect("change-page", reference=change.reference)
        else:
            error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
    else:
        form = forms.ChangeRequestForm(
            initial={"incident": request.GET.get("incident", ""), "type": "normal"}
        )
    return render(request, "changes/new.html", {"form": form, "error": error})


def _load(request, reference: str):
    change = change_detail_queryset(request.user).filter(reference=reference).first()
    if change is None:
        raise Http404(f"Change {reference} was not found.")
    return change


def _render_detail(request, change, *, error=None, error_op=None, bound=None):
    panels = action_panels(
        request, change, CHANGES, ACTIONS, lambda op: reverse("change-act", args=[change.reference, op]),
        error_op=error_op, bound=bound,
    )  # fmt: skip
    return render(request, "changes/detail.html", {
        "change": change, "panels": panels, "error": error, "timeline": record_timeline(change),
        "links": visible_incident_links(request.user, change),
    })  # fmt: skip


@login_required
@require_GET
def change_detail(request, reference: str):
    refusal = _staff_only(request)
    if refusal:
        return refusal
    return _render_detail(request, _load(request, reference))


@login_required
@require_POST
def change_act(request, reference: str, operation: str):
    refusal = _staff_only(request)
    if refusal:
        return refusal
    change = _load(request, reference)

    def rerender(*, error, error_op, bound):
        return _render_detail(request, _load(request, reference), error=error, error_op=error_op, bound=bound)

    return page_act(
        request, obj=change, operation=operation, actions=ACTIONS, subject="change", rerender=rerender,
        success_url=reverse("change-page", args=[change.reference]),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def incident_link_change(request, reference: str):
    """The incident page's link-change form, posted here; a refusal is shown with the form."""
    incident = incidents_visible_to(request.user).filter(reference=reference).first()
    if incident is None:
        raise Http404(f"Incident {reference} was not found.")
    if request.method == "GET" and not change_links(request.user, incident):
        return _refused(request, f"Your role may not link changes to {incident.reference}.")
    error = None
    if request.method == "POST":
        form = forms.LinkChangeForm(request.POST)
        if form.is_valid():
            try:
                services.change_link_incident(
                    incident=incident.reference,
                    actor=request.user,
                    expected_version=posted_version(request),
                    change=form.cleaned_data["change"].strip().upper(),
                    relation=form.cleaned_data["relation"],
                )
            except DomainError as refused:
                if refused.code == ErrorCode.NOT_FOUND:
                    raise Http404(refused.message) from refused
                error = refused
            else:
                messages.success(
                    request, f"{incident.reference}: {form.cleaned_data['change'].upper()} linked."
                )
                return redirect("incident-page", reference=incident.reference)
        else:
            error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
    else:
        form = forms.LinkChangeForm(initial={"change": request.GET.get("change", "")})
    return render(request, "changes/link.html", {"incident": incident, "form": form, "error": error})
