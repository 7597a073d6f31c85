import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from core.errors import DomainError, ErrorCode
from core.models import Heartbeat


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        ok, error = True, None
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        ok, error = False, str(exc)
    result = {"ok": ok, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if error:
        result["error"] = error
    return result


def _check_broker() -> dict:
    from ims.celery import app

    started = time.perf_counter()
    url = settings.CELERY_BROKER_URL
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        ok, error = True, None
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        ok, error = False, str(exc)
    result = {
        "ok": ok,
        "url": _redact(url),
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if error:
        result["error"] = error
    beat = Heartbeat.objects.filter(name="beat").first()
    result["last_heartbeat"] = beat.last_seen.isoformat() if beat else None
    return result


@never_cache
@require_GET
def healthz(request):
    database = _check_database()
    broker = _check_broker() if database["ok"] else {"ok": False, "error": "database down"}
    ok = database["ok"] and broker["ok"]
    body = {
        "status": "ok" if ok else "unavailable",
        "time": timezone.now().isoformat(),
        "database": database,
        "broker": broker,
    }
    return JsonResponse(body, status=200 if ok else 503)


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
