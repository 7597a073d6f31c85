"""Rate limits outside DRF's views, counted in the configured cache like DRF's own (so
shared by every worker when the cache is Redis)."""

import logging

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

logger = logging.getLogger(__name__)


class HealthzRateThrottle(SimpleRateThrottle):
    """Anonymous /healthz callers, per address: ``IMS_THROTTLE_HEALTHZ`` (default 120/minute).

    Fails open: a probe must still answer while the cache itself is down."""

    scope = "healthz"

    def get_rate(self):
        return settings.IMS_THROTTLE_HEALTHZ

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - the cache is down; the probe reports the rest
            logger.warning("healthz throttle skipped: the cache is unavailable", exc_info=True)
            return True


def client_address(request) -> str | None:
    """The caller's address as DRF's throttles see it (REMOTE_ADDR, or the proxy's entry in
    X-Forwarded-For with NUM_PROXIES), for the sign-in lockout too."""
    return BaseThrottle().get_ident(request)
