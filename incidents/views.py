"""The incident desk in the browser: workspace, incident page, report form, end-user portal.

Views read through incidents.selectors and write through incidents.services, exactly as the
API does; a DomainError is shown beside the form it came from.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Service
from communications.models import Communication, Recipients
from core.errors import DomainError, ErrorCode
from core.roles import STAFF_ROLES, user_roles
from incidents import forms, services
from incidents.actions import allowed_actions
from incidents.choices import PRIORITY_MATRIX
from incidents.display import timeline_rows, workspace_rows
from incidents.filtersets import IncidentFilterSet
from incidents.form_html import form_html
from incidents.paging import ListPage, RowCount, count_exactly, count_up_to, counts_up_to, page_number
from incidents.policy import authorize
from incidents.related import related_for
from incidents.selectors import (
    incident_detail_queryset,
    incident_for_page,
    incident_list_queryset,
    incident_queues,
    incident_timeline,
    sees_work_notes,
)
from incidents.sla import sla_state
from operations.pages import PageAction as Action

PAGE_SIZE = 25


ACTIONS: dict[str, Action] = {
    "assign": Action("Assign", forms.AssignForm, services.incident_assign, "primary"),
    "diagnose": Action("Diagnose", forms.DiagnoseForm, services.incident_diagnose),
    "log": Action("Log details", forms.LogForm, services.incident_log),
    "categorize": Action("Categorize", forms.CategorizeForm, services.incident_categorize),
    "prioritize": Action("Prioritize", forms.PrioritizeForm, services.incident_prioritize),
    "escalate": Action("Escalate", forms.EscalateForm, services.incident_escalate, "warn"),
    "engage_vendor": Action("Engage vendor", forms.EngageVendorForm, services.incident_engage_vendor),
    "vendor_responded": Action("Vendor responded", forms.NoteForm, services.incident_vendor_responded),
    "resolve": Action("Resolve", forms.ResolveForm, services.incident_resolve, "primary"),
    "communicate": Action("Communicate", forms.CommunicateForm, services.incident_communicate),
    "comment": Action("Comment", forms.CommentForm, services.incident_comment),
    "confirm": Action("Confirm restoration", forms.NoteForm, services.incident_confirm, "primary"),
    "reopen": Action("Reopen", forms.ReopenForm, services.incident_reopen, "warn"),
    "close": Action("Close", forms.CloseForm, services.incident_close, "primary"),
    "set_major_roles": Action(
        "Major-incident roles", forms.MajorRolesForm, services.incident_set_major_roles
    ),
}
# fields left empty in a form mean "not given" for these services
OPTIONAL_AS_NONE = {"log", "set_major_roles", "categorize", "prioritize", "assign", "diagnose"}


def is_staff_user(user) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def _initial(incident, operation: str) -> dict:
    if operation == "categorize":
        return {"category": incident.category, "subcategory": incident.subcategory}
    if operation == "prioritize":
        return {"impact": incident.impact, "urgency": incident.urgency}
    if operation == "assign":
        return {"team": incident.assigned_team.code if incident.assigned_team_id else "L1"}
    if operation == "set_major_roles":
        return {
            f: getattr(incident, f).get_username()
            for f in ("incident_commander", "communications_lead", "technical_lead")
            if getattr(incident, f"{f}_id")
        }
    return {}


def _load(request, reference: str):
    incident = incident_for_page(request.user, reference)
    if incident is None:
        raise Http404(f"Incident {reference} was not found.")
    return incident


# ---- workspace --------------------------------------------------------------------------
QUEUES = (
    ("mine", "My incidents"),
    ("team", "My team"),
    ("unassigned", "Unassigned"),
    ("breaching", "Breaching soon"),
    ("all", "All I can see"),
)


# the workspace's filters beyond the search box (counted on the folded filter panel)
FILTER_KEYS = ("status", "priority", "category", "team", "assignee", "affected_service", "detection_source",
               "created_after", "created_before", "ordering")  # fmt: skip


# query parameters that page or order the list, or ask for its exact count: not filters
NOT_FILTERS = frozenset({"queue", "page", "ordering", "count"})


@login_required
@require_GET
def workspace(request):
    """The analyst's start page: queues with counts, filters in the URL, refreshing list.

    Counts are exact up to incidents.paging.COUNT_CAP ("1,000+" beyond, ``count=exact``
    counts them all); the list refreshing itself (htmx) counts only its own rows."""
    if not is_staff_user(request.user):
        return redirect("my-incidents")
    now = timezone.now()
    queues = incident_queues(request.user, now)
    queue = request.GET.get("queue", "unassigned")
    if queue not in queues:
        queue = "all"
    filterset = IncidentFilterSet(request.GET, queryset=queues[queue])
    valid = filterset.is_valid()
    rows = filterset.qs if valid else queues[queue].none()
    if not request.GET.get("ordering"):
        rows = rows.order_by("-created_at", "-id")
    refresh = request.htmx and request.htmx.target == "incident-list"
    counts, total = _counts(request, queues, queue, rows if valid else None, refresh=refresh)
    page = ListPage(rows, number=page_number(request.GET.get("page")), per_page=PAGE_SIZE, count=total)
    params = request.GET.copy()
    params.pop("page", None)
    if valid and request.headers.get("X-IMS-Background") != "1":  # not a refresh
        services.incidents_record_lookup(
            actor=request.user, params=_without(params, "count"), via="workspace"
        )
    services.incidents_record_list_read(incidents=page.object_list, actor=request.user)
    context = {
        "queue": queue,
        "queues": [(key, label, counts.get(key)) for key, label in QUEUES],
        "filterset": filterset,
        "page": page,
        "rows": workspace_rows(page.object_list, now),
        "query": params.urlencode(),
        "query_without_queue": _without(params, "queue", "count").urlencode(),
        "active_filters": sum(1 for key in FILTER_KEYS if any(request.GET.getlist(key))),
        "now": now,
    }
    return render(request, "incidents/_list.html" if refresh else "incidents/workspace.html", context)


def _counts(request, queues: dict, queue: str, rows, *, refresh: bool) -> tuple[dict, RowCount]:
    """The queue tabs' capped counts (in one statement; none when only the list refreshes)
    and the list's count: the tab's when no filter narrows it, exact when asked for."""
    filtered = any(any(request.GET.getlist(key)) for key in request.GET if key not in NOT_FILTERS)
    counts = {} if refresh else counts_up_to({key: queues[key] for key, _ in QUEUES})
    if rows is None:  # invalid filters show nothing
        return counts, RowCount(0)
    if request.GET.get("count") == "exact":
        total = count_exactly(rows)
        if not filtered:
            counts[queue] = total
        return counts, total
    return counts, counts[queue] if queue in counts and not filtered else count_up_to(rows)


def _without(params, *keys):
    copy = params.copy()
    for key in keys:
        copy.pop(key, None)
    return copy


# ---- incident page ----------------------------------------------------------------------
def _detail_context(request, incident, *, error=None, error_op=None, bound=None) -> dict:
    # PATCH-style edits ("edit") have no panel; every other allowed operation has one
    operations = [op for op in allowed_actions(request.user, incident) if op in ACTIONS]
    if error_op and error_op not in operations:
        operations.append(error_op)  # keep a refused form on screen, with its message
    panels = []
    for op in operations:
        action = ACTIONS[op]
        form = bound if op == error_op and bound is not None else action.form(initial=_initial(incident, op))
        url = reverse("incident-act", args=[incident.reference, op])
        html = form_html(form)
        panels.append({"op": op, "action": action, "form": html, "open": op == error_op, "url": url})
    return {
        "incident": incident,
        "sla": sla_state(incident),
        "timeline": timeline_rows(incident_timeline(incident, request.user)),
        "work_notes": sees_work_notes(request.user),
        "panels": panels,
        "error": error,
        "error_op": error_op,
        "grace_ends": incident.grace_period_ends_at,
        "matrix_priority": PRIORITY_MATRIX.get((incident.impact, incident.urgency)),
        "is_staff_user": is_staff_user(request.user),
        "related": related_for(incident, request.user),
    }


def _render_detail(request, incident, **context):
    """The incident page; showing it is a read (audited for security incidents), whether
    asked for or shown again after a refused operation."""
    services.incident_record_read(incident=incident, actor=request.user)
    return render(request, "incidents/detail.html", _detail_context(request, incident, **context))


@login_required
@require_GET
def incident_detail(request, reference: str):
    return _render_detail(request, _load(request, reference))


@login_required
@require_http_methods(["GET", "POST"])
def incident_act(request, reference: str, operation: str):
    """One SOP from the browser. GET shows its form alone; POST runs the service."""
    if operation not in ACTIONS:
        raise Http404(f"No operation {operation}.")
    incident = _load(request, reference)
    action = ACTIONS[operation]
    if request.method == "GET":
        try:
            authorize(request.user, operation, incident)
        except DomainError as refusal:
            return render(request, "403.html", {"message": refusal.message}, status=refusal.http_status)
        services.incident_record_read(incident=incident, actor=request.user)
        form = action.form(initial=_initial(incident, operation))
        return render(request, "incidents/act.html", {"incident": incident, "op": operation,
                                                      "action": action, "form": form})  # fmt: skip
    form = action.form(request.POST)
    if not form.is_valid():
        error = DomainError(ErrorCode.VALIDATION_ERROR, "Check the highlighted fields.", form.errors)
        return _render_detail(request, incident, error=error, error_op=operation, bound=form)
    values = dict(form.cleaned_data)
    if operation in OPTIONAL_AS_NONE:
        values = {k: (None if v in ("", None) else v) for k, v in values.items()}
    if operation == "prioritize" and values.get("justification") is None:
        values["justification"] = ""
    try:
        expected = int(request.POST.get("version", "")) if request.POST.get("version") else None
    except ValueError:
        expected = None
    try:
        action.service(incident=incident.reference, actor=request.user, expected_version=expected, **values)
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404(error.message) from error
        return _render_detail(request, _load(request, reference), error=error, error_op=operation, bound=form)
    messages.success(request, f"{incident.reference}: {action.label.lower()} done.")
    if not incident_detail_queryset(request.user).filter(reference=incident.reference).exists():
        messages.info(request, f"{incident.reference} is now restricted and no longer visible to you.")
        return redirect("home")
    return redirect("incident-page", reference=incident.reference)


# ---- reporting --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def incident_report(request):
    """Report an incident (everyone; comfortable on a phone)."""
    staff = is_staff_user(request.user)
    form = forms.ReportForm(
        request.POST or None, staff=staff, initial={"impact": "medium", "urgency": "medium"}
    )
    error = None
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
        try:
            incident, duplicates = services.incident_create(actor=request.user, **values)
        except DomainError as exc:
            error = exc
        else:
            note = f"{incident.reference} reported with priority {incident.priority}."
            if duplicates:
                note += " Possibly the same as " + ", ".join(d.reference for d in duplicates) + "."
            messages.success(request, note)
            return redirect("incident-page", reference=incident.reference)
    matrix = {f"{i}:{u}": str(p) for (i, u), p in PRIORITY_MATRIX.items()}
    return render(request, "incidents/report.html", {"form": form, "error": error, "matrix": matrix})


@login_required
@require_GET
def incident_duplicates(request):
    """Possible duplicates while typing: same service, similar title, last 24 h."""
    service = Service.objects.filter(reference=request.GET.get("affected_service", "")).first()
    title = request.GET.get("title", "").strip()
    duplicates = []
    if service is not None and len(title) >= 4:
        duplicates = services.incidents_possible_duplicates(actor=request.user, service=service, title=title)
        services.incidents_record_list_read(incidents=duplicates, actor=request.user, via="duplicates")
    return render(request, "incidents/_duplicates.html", {"duplicates": duplicates})


# ---- end-user portal --------------------------------------------------------------------
@login_required
@require_GET
def my_incidents(request):
    """What I reported: status, the messages addressed to me, confirm or reopen in grace."""
    rows = incident_list_queryset(request.user).filter(reporter=request.user).order_by("-created_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    services.incidents_record_list_read(incidents=page.object_list, actor=request.user)
    refs = [i.reference for i in page.object_list]
    addressed = {Recipients.END_USERS, Recipients.REPORTER}
    notes: dict[str, list] = {}
    for c in Communication.objects.filter(subject_ref__in=refs).order_by("created_at"):
        if addressed & set(c.recipients):
            notes.setdefault(c.subject_ref, []).append(c)
    items = [
        {"incident": i, "messages": notes.get(i.reference, []), "grace_ends": i.grace_period_ends_at}
        for i in page.object_list
    ]
    return render(request, "incidents/my_incidents.html", {"page": page, "items": items})


@login_required
def home(request):
    return redirect(reverse("workspace") if is_staff_user(request.user) else reverse("my-incidents"))
