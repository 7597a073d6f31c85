"""Simulations in the browser: the list (the API's filters), the simulation page (its
fields, injects, follow-ups, the viewer's actions, the timeline) and the form that plans
one. Views read through simulations.selectors and write through simulations.services."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, ErrorCode
from operations.display import record_timeline
from operations.pages import PageAction, action_panels, page_act
from simulations import forms, services
from simulations.choices import SimulationStatus
from simulations.filtersets import SimulationFilterSet
from simulations.policy import may, may_view
from simulations.selectors import simulation_for_page, simulation_rows

PAGE_SIZE = 25
ACTIONS: dict[str, PageAction] = {
    "start": PageAction("Start", forms.StartForm, services.simulation_start, "primary"),
    "add_inject": PageAction("Add inject", forms.InjectForm, services.simulation_add_inject),
    "complete": PageAction("Complete", forms.CompleteForm, services.simulation_complete, "primary"),
    "add_follow_up": PageAction(
        "Add follow-up action", forms.FollowUpForm, services.simulation_add_follow_up
    ),
    "drill_incident": PageAction(
        "Open a drill incident", forms.DrillIncidentForm, services.simulation_drill_incident
    ),
}


@login_required
@require_GET
def simulation_list(request):
    if not may_view(request.user):
        raise Http404("No simulations here.")
    rows = simulation_rows(request.user)
    filterset = SimulationFilterSet(request.GET, queryset=rows, request=request)
    page = Paginator(filterset.qs if filterset.is_valid() else rows.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": params.urlencode(),
        "statuses": SimulationStatus.choices,
        "chosen_statuses": request.GET.getlist("status"),
        "may_create": may(request.user, "create"),
    }
    return render(request, "simulations/list.html", context)


def _load(request, reference: str):
    simulation = simulation_for_page(request.user, reference)
    if simulation is None:
        raise Http404(f"Simulation {reference} was not found.")
    return simulation


def _render_detail(request, simulation, *, error=None, error_op=None, bound=None):
    def url(op):
        return reverse("simulation-act", args=[simulation.reference, op])

    context = {
        "simulation": simulation,
        "panels": action_panels(
            request, simulation, services.SIMULATIONS, ACTIONS, url, error_op=error_op, bound=bound
        ),  # fmt: skip
        "timeline": record_timeline(simulation),
        "error": error,
    }
    return render(request, "simulations/detail.html", context, status=error.http_status if error else 200)


@login_required
@require_GET
def simulation_detail(request, reference: str):
    return _render_detail(request, _load(request, reference))


@login_required
@require_POST
def simulation_act(request, reference: str, operation: str):
    simulation = _load(request, reference)

    def rerender(**context):
        return _render_detail(request, _load(request, reference), **context)

    return page_act(request, obj=simulation, operation=operation, actions=ACTIONS, subject="simulation",
                    rerender=rerender, success_url=reverse("simulation-page", args=[reference]))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def simulation_new(request):
    if not may_view(request.user):
        raise Http404("No simulations here.")
    if not may(request.user, "create"):
        return render(request, "403.html", {"message": "Only incident managers run simulations."}, status=403)
    form = forms.SimulationForm(request.POST or None)
    error = None
    if request.method == "POST":
        if not form.is_valid():
            error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
        else:
            data = dict(form.cleaned_data)
            data["participants"] = [p for p in re.split(r"[\s,]+", data["participants"]) if p]
            try:
                simulation = services.simulation_create(actor=request.user, **data)
            except DomainError as exc:
                error = exc
            else:
                messages.success(request, f"{simulation.reference} planned.")
                return redirect("simulation-page", reference=simulation.reference)
    status = error.http_status if error else 200
    return render(request, "simulations/new.html", {"form": form, "error": error}, status=status)
