"""A sign-in lockout goes to the audit trail, as an update of the user it locks."""

import logging

from django.conf import settings
from django.db import transaction

from accounts.models import User
from audit.services import audit_record

logger = logging.getLogger(__name__)


def _where(request) -> str:
    path = getattr(request, "path", "") or ""
    return "admin" if path.startswith("/admin/") else "desk"


def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """Receiver of axes' ``user_locked_out``.

    Axes sends it when the failure limit is reached and again for each attempt refused
    while locked; only the first is an event (axes has counted failures for it)."""
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    if user is None:
        logger.warning("Sign-in locked out for unknown username %r from %s", username, ip_address)
        return
    cooloff = settings.AXES_COOLOFF_TIME
    with transaction.atomic():
        audit_record(
            action="update",
            obj=user,
            ref=user.get_username(),
            ref_type="user",
            actor=None,
            changes={"locked_out": [False, True]},
            extra={
                "reason": "failed_sign_ins",
                "failures": request.axes_failures_since_start,
                "ip_address": ip_address,
                "via": _where(request),
                "cooloff_minutes": int(cooloff.total_seconds() // 60) if cooloff else None,
            },
        )
