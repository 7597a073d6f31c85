"""Assertions the change tests share: a refusal names its code and message and changes
nothing — not the change, not the incident, not the trail."""

import pytest

from audit.models import AuditEvent
from changes.models import Change, ChangeIncidentLink
from core.errors import DomainError


def snapshot(obj) -> dict:
    """Every stored column of ``obj`` as the database now holds it."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def refused(call, code, message, *records):
    """Run ``call``; it must raise DomainError(code, message) and leave ``records``, the
    number of changes and links, and the trail as they were. Returns the error."""
    before = [snapshot(r) for r in records]
    counts = (AuditEvent.objects.count(), Change.objects.count(), ChangeIncidentLink.objects.count())
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.message) == (code, message)
    assert [snapshot(r) for r in records] == before
    assert (AuditEvent.objects.count(), Change.objects.count(), ChangeIncidentLink.objects.count()) == counts
    return excinfo.value


def events_of(reference: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(ref_id=reference).order_by("seq"))
