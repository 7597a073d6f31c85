"""Rate limits, counted in the configured cache like DRF's own (so shared by every worker
when the cache is Redis).

Every limit fails open: a limit the cache cannot count (Redis down, or too slow for its
one-second timeouts) is not applied, and a warning says so. Refusing every request, or
answering them 500, would turn a cache outage into an outage of IMS; the limits are a guard
against floods, not a rule of the record."""

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

logger = logging.getLogger(__name__)

# what the cache raises when it cannot answer (django's Redis backend: redis-py's errors)
CACHE_ERRORS = (RedisError, OSError)


def cache_unavailable(scope: str, exc: Exception) -> None:
    logger.warning(
        "%s rate limit not applied: the cache is unavailable (%s)", scope, exc or type(exc).__name__
    )


class FailOpenThrottleMixin:
    """``allow_request`` that lets the request through when the cache cannot count it."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            cache_unavailable(self.scope, exc)
            return True


class AnonRateThrottle(FailOpenThrottleMixin, throttling.AnonRateThrottle):
    """DRF's anonymous limit (``IMS_THROTTLE_ANON``), failing open."""


class UserRateThrottle(FailOpenThrottleMixin, throttling.UserRateThrottle):
    """DRF's per-user limit (``IMS_THROTTLE_USER``), failing open."""


class HealthzRateThrottle(FailOpenThrottleMixin, SimpleRateThrottle):
    """Anonymous /healthz callers, per address: ``IMS_THROTTLE_HEALTHZ`` (default 120/minute).
    Failing open matters most here: the probe must still answer while the cache is down."""

    scope = "healthz"

    def get_rate(self):
        return settings.IMS_THROTTLE_HEALTHZ

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def client_address(request) -> str | None:
    """The caller's address as DRF's throttles see it (REMOTE_ADDR, or the proxy's entry in
    X-Forwarded-For with NUM_PROXIES), for the sign-in lockout too."""
    return BaseThrottle().get_ident(request)
