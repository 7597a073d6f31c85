from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken, TokenScope, hash_token
from core.throttling import CACHE_ERRORS, cache_unavailable


class BadTokenThrottle(SimpleRateThrottle):
    """Failed token authentications per address, ``IMS_THROTTLE_BAD_TOKEN`` (counted in the
    configured cache, like DRF's throttles). Only failures count; once an address is past
    the rate, every token it sends is refused until the window has passed, so a flood of
    guesses cannot go on testing keys. Like every limit it fails open: while the cache is
    down failures are not counted (a warning says so) and tokens are still checked."""

    scope = "bad_token"

    def get_rate(self):
        return settings.IMS_THROTTLE_BAD_TOKEN

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def refuse_if_flooding(self, request) -> None:
        try:
            self._load(request)
        except CACHE_ERRORS as exc:
            cache_unavailable(self.scope, exc)
            return
        if len(self.history) >= self.num_requests:
            raise exceptions.Throttled(wait=self.wait())

    def record_failure(self, request) -> None:
        try:
            self._load(request)
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
        except CACHE_ERRORS as exc:
            cache_unavailable(self.scope, exc)


def refuse_out_of_scope(request, token: ApiToken) -> None:
    """An intake token (scope ``intake``) may only POST to a view that declares
    ``accepts_intake_tokens`` (the monitoring intake); anywhere else it answers 403."""
    if token.scope != TokenScope.INTAKE:
        return
    view = (getattr(request, "parser_context", None) or {}).get("view")
    if request.method == "POST" and getattr(view, "accepts_intake_tokens", False):
        return
    raise exceptions.PermissionDenied(
        "This is a monitoring-intake token: it may only post events (/api/v1/events/, "
        "/api/v1/integrations/alertmanager/). Use a full API token for anything else."
    )


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``, checked against the stored hash; an address that
    keeps sending bad tokens is answered 429 (BadTokenThrottle)."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        throttle = BadTokenThrottle()
        throttle.refuse_if_flooding(request)
        try:
            user, token = self._authenticate(header)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise
        refuse_out_of_scope(request, token)
        return user, token

    def _authenticate(self, header):
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: expected 'Authorization: Token <key>'."
            )
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token header: the key is not text.") from exc
        token = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            # at most one write per token every five minutes
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
