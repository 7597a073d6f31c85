"""Tool usages in the browser: the list (the API's filters; automation candidates for
incident managers) and the incident's "record tool usage" form. Views read through
tooling.selectors and write through tooling.services; a refusal is shown beside its form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from incidents.selectors import incident_for_page
from incidents.services import incidents_record_list_read
from tooling import forms
from tooling.choices import Outcome, Tool
from tooling.filtersets import ToolUsageFilterSet
from tooling.policy import authorize, may_see_candidates, may_view
from tooling.selectors import tool_usage_rows
from tooling.services import tool_usage_record

PAGE_SIZE = 25
FILTER_KEYS = ("incident", "tool", "outcome", "executor", "service", "automation_candidate",
               "created_after", "created_before")  # fmt: skip


@login_required
@require_GET
def tool_usage_list(request):
    """Tool usages with the API's filters (one FilterSet), newest first."""
    if not may_view(request.user):
        raise Http404("No tool usages here.")
    rows = tool_usage_rows(request.user)
    filterset = ToolUsageFilterSet(request.GET, queryset=rows, request=request)
    page = Paginator(filterset.qs if filterset.is_valid() else rows.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # security incidents named by the usages shown are read, and audited as such (SPEC.md)
    incidents_record_list_read(incidents=[u.incident for u in page.object_list], actor=request.user,
                               via="tool_usage")  # fmt: skip
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": params.urlencode(),
        "tools": Tool.choices,
        "outcomes": Outcome.choices,
        "chosen_tools": request.GET.getlist("tool"),
        "chosen_outcomes": request.GET.getlist("outcome"),
        "candidates": request.GET.get("automation_candidate") == "true",
        "may_see_candidates": may_see_candidates(request.user),
        "active_filters": sum(1 for key in FILTER_KEYS if any(request.GET.getlist(key))),
    }
    return render(request, "tooling/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def incident_record_tool_usage(request, reference: str):
    """Record a tool usage on an incident (its page's panel posts here); a refusal is shown
    once, beside this form."""
    incident = incident_for_page(request.user, reference)
    if incident is None or not may_view(request.user):
        raise Http404(f"Incident {reference} was not found.")
    error = None
    form = forms.ToolUsageForm(request.POST or None)
    if request.method == "GET":
        try:
            authorize(request.user, "record", incident)
        except DomainError as refusal:
            return render(request, "403.html", {"message": refusal.message}, status=refusal.http_status)
    elif form.is_valid():
        try:
            usage = tool_usage_record(incident=incident.reference, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.http_status == 404:
                raise Http404(exc.message) from exc
            error = exc
        else:
            messages.success(request, f"{usage.reference} recorded on {incident.reference}.")
            return redirect("incident-page", reference=incident.reference)
    status = error.http_status if error is not None else 200
    return render(request, "tooling/record.html", {"incident": incident, "form": form, "error": error},
                  status=status)  # fmt: skip
