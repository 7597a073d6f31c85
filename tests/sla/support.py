"""Helpers of the SLA tests (the fixtures are in conftest.py).

Every instant is frozen with time_machine (``tick=False``), so deadlines are exact.
"""

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection

from audit.models import AuditEvent
from incidents.models import Incident
from incidents.sweep import sla_sweep
from sla.models import SlaEvent

OFFICE = "Office hours (Mon–Fri 09:00–17:00 UTC)"
ALWAYS = "24x7"
# A Wednesday, inside office hours
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

# the (impact, urgency) pair of the matrix that gives each priority
LEVELS = {"P1": ("high", "high"), "P2": ("high", "medium"), "P3": ("medium", "medium"), "P4": ("low", "low")}


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def at(moment: datetime):
    """Freeze the clock at ``moment`` (a context manager)."""
    return time_machine.travel(moment, tick=False)


def reload(incident: Incident) -> Incident:
    return Incident.objects.select_related("assigned_team", "assignee", "sla_policy").get(pk=incident.pk)


def audit_for(incident: Incident):
    return AuditEvent.objects.filter(ref_type="incident", ref_id=incident.reference).order_by("seq")


def sla_events(incident: Incident, kind: str | None = None):
    events = SlaEvent.objects.filter(subject_ref=incident.reference)
    return events.filter(kind=kind) if kind else events


def sweeps_at_once(now: datetime, workers: int = 2, **options) -> tuple[list, list[Exception]]:
    """``workers`` sweeps at ``now`` started together, each on its own connection (a thread),
    as two Celery workers would: what each did, and what any raised."""
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(sla_sweep(now=now, **options))
        except Exception as exc:  # reported to the caller
            errors.append(exc)
        finally:
            connection.close()

    with at(now):
        threads = [threading.Thread(target=worker) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return results, errors
