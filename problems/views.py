"""Problems in the browser: the list (the API's filters), the problem page (fields, linked
incidents, KB articles, the viewer's actions, the timeline), the form that raises one (from
an incident too), and the incident's "link a problem" form.

Views read through problems.selectors and write through problems.services, exactly as the
API does; a DomainError is shown beside the form it came from.
"""

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError, ErrorCode
from incidents.selectors import incident_for_page
from incidents.services import incidents_record_list_read
from operations.display import record_timeline
from operations.pages import PageAction, action_panels, page_act
from problems import forms, services
from problems.choices import ProblemStatus
from problems.display import without_references
from problems.filtersets import ProblemFilterSet
from problems.incident_panel import incident_problem_links
from problems.policy import authorize, may_view
from problems.selectors import (
    problem_articles_visible_to,
    problem_for_page,
    problem_links_visible_to,
    problem_rows,
    stability_window_days,
)

PAGE_SIZE = 25
FILTER_KEYS = ("status", "affected_service", "owner_team", "assignee", "created_by", "incident",
               "created_after", "created_before")  # fmt: skip

ACTIONS: dict[str, PageAction] = {
    "update": PageAction("Edit", forms.ProblemUpdateForm, services.problem_update),
    "start_investigation": PageAction(
        "Start investigation", forms.StartInvestigationForm, services.problem_start_investigation, "primary"
    ),
    "record_workaround": PageAction(
        "Record workaround", forms.RecordWorkaroundForm, services.problem_record_workaround, "primary"
    ),
    "link_incident": PageAction("Link incident", forms.LinkIncidentForm, services.problem_link_incident),
    "resolve": PageAction("Resolve", forms.ResolveForm, services.problem_resolve, "primary"),
    "close": PageAction("Close", forms.CloseForm, services.problem_close, "primary"),
}


def _initial_update(problem) -> dict:
    return {
        "title": problem.title,
        "affected_service": problem.affected_service.reference,
        "description": problem.description,
        "symptom": problem.symptom,
        "root_cause": problem.root_cause,
        "owner_team": problem.owner_team.code if problem.owner_team_id else "",
        "assignee": problem.assignee.username if problem.assignee_id else "",
    }


def _actions_for(problem) -> dict[str, PageAction]:
    actions = dict(ACTIONS)
    actions["update"] = replace(ACTIONS["update"], initial=_initial_update)
    actions["record_workaround"] = replace(
        ACTIONS["record_workaround"], initial=lambda p: {"symptom": p.symptom, "root_cause": p.root_cause}
    )
    if problem.status == ProblemStatus.RESOLVED:
        actions["start_investigation"] = replace(ACTIONS["start_investigation"], label="Reopen investigation",
                                                 style="warn")  # fmt: skip
    return actions


def _values(operation: str):
    def adapt(cleaned: dict) -> dict:
        if operation == "update" and not cleaned.get("affected_service"):
            cleaned["affected_service"] = None  # not chosen: not changed
        return cleaned

    return adapt


def _load(request, reference: str):
    problem = problem_for_page(request.user, reference)
    if problem is None:
        raise Http404(f"Problem {reference} was not found.")
    return problem


# ---- list -------------------------------------------------------------------------------
@login_required
@require_GET
def problem_list(request):
    """Problems with the API's filters (one FilterSet), newest first."""
    if not may_view(request.user):
        raise Http404("No problems here.")
    filterset = ProblemFilterSet(request.GET, queryset=problem_rows(request.user), request=request)
    rows = filterset.qs if filterset.is_valid() else problem_rows(request.user).none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": params.urlencode(),
        "statuses": ProblemStatus.choices,
        "chosen_statuses": request.GET.getlist("status"),
        "active_filters": sum(1 for key in FILTER_KEYS if any(request.GET.getlist(key))),
        "may_create": _may(request.user, "create"),
    }
    return render(request, "problems/list.html", context)


def _may(user, operation: str) -> bool:
    try:
        authorize(user, operation)
    except DomainError:
        return False
    return True


# ---- problem page -----------------------------------------------------------------------
def _render_detail(request, problem, *, error=None, error_op=None, bound=None):
    links, hidden = problem_links_visible_to(request.user, problem)
    incidents_record_list_read(incidents=[link.incident for link in links], actor=request.user, via="problem")
    actions = _actions_for(problem)
    panels = action_panels(
        request, problem, services.PROBLEMS, actions,
        lambda op: reverse("problem-act", args=[problem.reference, op]), error_op=error_op, bound=bound,
    )  # fmt: skip
    context = {
        "problem": problem,
        "links": links,
        "restricted": len(hidden),
        "articles": problem_articles_visible_to(request.user, problem),
        "stability_window_ends_at": problem.stability_window_ends_at(stability_window_days()),
        "panels": panels,
        "error": error,
        "error_op": error_op,
        "timeline": without_references(record_timeline(problem), hidden),
    }
    return render(request, "problems/detail.html", context)


@login_required
@require_GET
def problem_detail(request, reference: str):
    return _render_detail(request, _load(request, reference))


@login_required
@require_http_methods(["POST"])
def problem_act(request, reference: str, operation: str):
    """One SOP 19 operation from the problem page: the same service as the API."""
    problem = _load(request, reference)

    def rerender(*, error, error_op, bound):
        return _render_detail(request, _load(request, reference), error=error, error_op=error_op, bound=bound)

    return page_act(
        request,
        obj=problem,
        operation=operation,
        actions=_actions_for(problem),
        subject="problem",
        rerender=rerender,
        success_url=reverse("problem-page", args=[problem.reference]),
        values=_values(operation),
    )


# ---- raise a problem --------------------------------------------------------------------
def _prefill(request) -> tuple[dict, object]:
    """From ``?incident=INC-…``: the incident's title and service, and the incident linked."""
    reference = request.GET.get("incident", "").strip().upper()
    if not reference:
        return {}, None
    incident = incident_for_page(request.user, reference)
    if incident is None:
        messages.error(request, f"Incident {reference} was not found.")
        return {}, None
    initial = {
        "title": incident.title,
        "affected_service": incident.affected_service.reference,
        "description": f"Raised from {incident.reference}.",
        "incidents": incident.reference,
    }
    return initial, incident


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request):
    """Raise a problem; refused as a duplicate, the page names the active problem to use."""
    if not may_view(request.user):
        raise Http404("No problems here.")
    error, incident = None, None
    if request.method == "POST":
        form = forms.ProblemCreateForm(request.POST)
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None, [])}
            values.setdefault("title", "")
            values.setdefault("affected_service", "")
            try:
                problem = services.problem_create(actor=request.user, **values)
            except DomainError as exc:
                error = exc
            else:
                messages.success(request, f"{problem.reference} raised.")
                return redirect("problem-page", reference=problem.reference)
        else:
            error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
    else:
        initial, incident = _prefill(request)
        form = forms.ProblemCreateForm(initial=initial)
    context = {"form": form, "error": error, "incident": incident, "may_create": _may(request.user, "create")}
    return render(request, "problems/new.html", context)


# ---- the incident's side of the link ----------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def incident_link_problem(request, reference: str):
    """Link a problem to an incident (the incident page's panel posts here): the same
    service as the problem page's "Link incident". A refusal is shown beside this form."""
    incident = incident_for_page(request.user, reference)
    if incident is None:
        raise Http404(f"Incident {reference} was not found.")
    if not may_view(request.user):
        raise Http404(f"Incident {reference} has no problems you may see.")
    if not incident_problem_links(request.user, incident):
        try:
            authorize(request.user, "link_incident")
        except DomainError as refusal:
            return render(request, "403.html", {"message": refusal.message}, status=refusal.http_status)
    error = None
    form = forms.LinkProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = form.cleaned_data["problem"].strip().upper()
        try:
            if not problem:
                raise DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    "Name the problem to link.",
                    {"problem": ["This field is required."]},
                )
            services.problem_link_incident(problem=problem, incident=incident.reference, actor=request.user)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"{incident.reference} linked to {problem}.")
            return redirect("incident-page", reference=incident.reference)
    return render(request, "problems/link_problem.html", {"incident": incident, "form": form, "error": error})
