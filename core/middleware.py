"""Response headers and session rules that hold for every page and API response."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

# No device features: IMS uses none of them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    """``Permissions-Policy`` everywhere; ``Cache-Control: no-store`` on what a signed-in
    person sees and on the API (answers carry records and tokens' owners' data), so neither
    a shared proxy nor the browser's back button keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        private = request.path.startswith("/api/") or (user is not None and user.is_authenticated)
        if private and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, no_store=True, private=True)
        return response


SESSION_ACTIVITY_KEY = "_ims_last_activity"
# a request within this many seconds of the last recorded one does not write the session
_STAMP_EVERY = 60


class IdleSessionMiddleware:
    """Signs a browser session out after ``IMS_SESSION_IDLE_SECONDS`` without activity.

    Requests marked ``X-IMS-Background: 1`` (the lists that refresh themselves) are not
    activity: a workspace left open in a tab still times out. An expired htmx request gets
    ``HX-Refresh``, so the page reloads onto the sign-in form instead of swapping it in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(SESSION_ACTIVITY_KEY)
            if last is not None and now - last > settings.IMS_SESSION_IDLE_SECONDS:
                logout(request)
                minutes = settings.IMS_SESSION_IDLE_SECONDS // 60
                messages.info(request, f"You were signed out after {minutes} minutes without activity.")
                if request.headers.get("HX-Request") == "true":
                    return HttpResponse(status=204, headers={"HX-Refresh": "true"})
            elif request.headers.get("X-IMS-Background") != "1" and (
                last is None or now - last >= _STAMP_EVERY
            ):
                request.session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)
