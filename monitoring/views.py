"""The events pages: list (the API's filters) and one event with its trail."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from monitoring.filtersets import EventFilter
from monitoring.policy import may_read
from monitoring.selectors import events_visible_to
from operations.display import record_timeline

PAGE_SIZE = 50


def _staff_only(user) -> None:
    if not may_read(user):
        raise PermissionDenied("Monitoring events are for IMS staff.")


@login_required
@require_GET
def event_list(request):
    _staff_only(request.user)
    rows = events_visible_to(request.user).defer("raw")
    filterset = EventFilter(request.GET, queryset=rows)
    found = filterset.qs if filterset.is_valid() else rows.none()
    events_page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"filterset": filterset, "events": events_page, "query": params.urlencode()}
    return render(request, "monitoring/list.html", context)


@login_required
@require_GET
def event_detail(request, reference: str):
    _staff_only(request.user)
    event = events_visible_to(request.user).filter(reference=reference).first()
    if event is None:
        raise Http404(f"No event {reference}.")
    return render(request, "monitoring/detail.html", {"event": event, "timeline": record_timeline(event)})
