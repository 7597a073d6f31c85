from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from core.admin import may_use_admin
from core.errors import DomainError, ErrorCode
from core.health import health_report
from core.throttling import HealthzRateThrottle


@never_cache
@require_GET
def healthz(request):
    """The orchestrator's probe. Anyone gets ``status`` (ok / unavailable) and 200 / 503;
    people who may use the admin also get what was checked, how long it took and why it
    failed. Anonymous callers are throttled per address (429 past the rate)."""
    staff = request.user.is_authenticated and may_use_admin(request.user)
    if not staff:
        throttle = HealthzRateThrottle()
        if not throttle.allow_request(request, None):
            wait = throttle.wait()
            response = JsonResponse({"status": "rate_limited"}, status=429)
            if wait is not None:
                response["Retry-After"] = str(max(1, int(wait)))
            return response
    report = health_report()
    body = {"status": "ok" if report["ok"] else "unavailable", "time": timezone.now().isoformat()}
    if staff:
        body.update(database=report["database"], broker=report["broker"])
    return JsonResponse(body, status=200 if report["ok"] else 503)


def api_not_found(request, exception=None):
    """404 for unknown URLs: the envelope under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        return _api_not_found_envelope(request)
    return render(request, "404.html", status=404)


@csrf_exempt  # it changes nothing; a POST to a wrong URL is told so, not refused for CSRF
def api_catch_all(request, rest=""):
    """The last API route: an unknown URL under /api/ is the not_found envelope, also in
    DEBUG mode (where Django shows its technical page instead of calling handler404)."""
    return _api_not_found_envelope(request)


def _api_not_found_envelope(request) -> JsonResponse:
    message = f"No API endpoint at {request.path}."
    if not request.path.endswith("/") and _resolves_elsewhere(request.path + "/"):
        message = f"No API endpoint at {request.path}; did you mean {request.path}/ ?"
    error = DomainError(ErrorCode.NOT_FOUND, message)
    return JsonResponse(error.as_envelope(), status=404)


def _resolves_elsewhere(path: str) -> bool:
    try:
        return resolve(path).func is not api_catch_all
    except Resolver404:
        return False


def server_error(request):
    """500: the envelope under /api/, the page elsewhere (nothing about the failure leaks)."""
    if request.path.startswith("/api/"):
        error = DomainError(ErrorCode.SERVER_ERROR, "Something went wrong on our side; it has been logged.")
        return JsonResponse(error.as_envelope(), status=500)
    return render(request, "500.html", status=500)
