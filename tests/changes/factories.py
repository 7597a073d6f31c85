"""Build changes in any state through the real services (tests only).

    change_in("implemented", requester=people.analyst, cab=people.cm)

Paths (``cab`` approves, ``implementer`` implements and closes; by default a change manager
who is not the requester, and an incident manager for the CAB bypass):

==============  ================================================================
``pending``     change_create (normal, with its window and rollback plan)
``approved``    … + change_approve
``rejected``    … + change_reject
``implemented`` … + change_approve + change_implement
``closed``      … + change_approve + change_implement + change_close(success)
``standard``    change_create(type=standard): pre-approved
``bypassed``    change_create(type=emergency) + change_implement by an incident manager
``retro``       … ``bypassed`` + change_approve (retrospectively)
==============  ================================================================
"""

from datetime import timedelta

from django.utils import timezone

from changes import services
from changes.models import Change


def window(hours_from_now: int = 1, length: int = 2):
    start = timezone.now() + timedelta(hours=hours_from_now)
    return start, start + timedelta(hours=length)


def change_in(state: str, *, requester, cab=None, implementer=None, bypasser=None, **kw) -> Change:
    kw.setdefault("summary", "Patch the mail relay")
    kw.setdefault("risk", "medium")
    kw.setdefault("rollback_plan", "Reinstall the previous package.")
    if state == "standard":
        kw.setdefault("type", "standard")
    elif state in ("bypassed", "retro"):
        kw.setdefault("type", "emergency")
    else:
        kw.setdefault("type", "normal")
    if kw["type"] == "normal" and "window_start" not in kw:
        kw["window_start"], kw["window_end"] = window()
    change = services.change_create(actor=requester, **kw)
    ref = change.reference
    if state in ("approved", "implemented", "closed"):
        services.change_approve(change=ref, actor=cab, comment="Go.")
    if state == "rejected":
        services.change_reject(change=ref, actor=cab, reason="Not in the freeze.")
    if state in ("implemented", "closed"):
        services.change_implement(change=ref, actor=implementer or cab, note="Done.")
    if state == "closed":
        services.change_close(change=ref, actor=implementer or cab, success=True)
    if state in ("bypassed", "retro"):
        services.change_implement(change=ref, actor=bypasser, note="Hotfix applied.")
    if state == "retro":
        services.change_approve(change=ref, actor=cab, comment="Justified.")
    return Change.objects.get(pk=change.pk)
