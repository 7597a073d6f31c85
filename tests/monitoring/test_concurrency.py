"""Parallel intake on PostgreSQL: two requests firing the same new alert open one incident,
and the same event id posted twice at once is stored once."""

import itertools
import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from accounts.models import User
from catalog.models import Service
from incidents.models import Incident
from monitoring.models import Event, IncidentAlert
from monitoring.services import events_ingest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
_n = itertools.count(1)


def _race(actor, bodies: list[list[dict]]) -> list:
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def run(i):
        try:
            barrier.wait()
            answers[i] = events_ingest(actor=actor, items=bodies[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_the_same_new_alert_from_two_requests_opens_one_incident():
    actor = User.objects.create_user(username=f"mc{next(_n)}", password=None)
    actor.groups.add(Group.objects.get(name="incident_manager"))
    service = Service.objects.create(name=f"Race {next(_n)}")
    for round_ in range(4):
        key = f"race-{round_}"

        def body(i, key=key):
            return {"source": "monitoring_tool", "service": service.reference, "alert_type": "Down",
                    "severity": "critical", "occurred_at": timezone.now().isoformat(), "dedup_key": key,
                    "event_id": f"{key}-{i}"}  # fmt: skip

        answers = _race(actor, [[body(i) for i in range(3)], [body(i + 10) for i in range(3)], [body(0)]])
        assert all(a is not None for a in answers)
        assert Incident.objects.filter(alerts__dedup_key=key).count() == 1
        assert IncidentAlert.objects.get(dedup_key=key).count == 6
        assert Event.objects.filter(dedup_key=key).count() == 6  # event 0 stored once
