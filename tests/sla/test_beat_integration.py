"""Beat → broker → worker → sweep, for real: nothing here calls the sweep.

A real beat (celery.beat's embedded service, in a thread) publishes ``sla-sweep`` on the
configured broker (Redis in CI, via CELERY_BROKER_URL) every second; a real worker
consumes it and runs the sweep against the test database; the test only waits for the
incident whose acknowledge deadline has passed to be escalated.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from audit.models import AuditEvent
from ims.celery import app
from incidents import services
from incidents.models import Incident
from sla.models import SlaEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT = 30.0


def _wait_for(predicate, timeout: float = TIMEOUT, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.fixture
def fast_sla_beat():
    """The beat schedule with the sweep every second, restored afterwards."""
    entry = app.conf.beat_schedule["sla-sweep"]
    original = entry["schedule"]
    entry["schedule"] = 1.0
    try:
        yield entry
    finally:
        entry["schedule"] = original


def test_beat_and_worker_escalate_an_incident_past_its_acknowledge_deadline(
    make_user, make_service, tmp_path, fast_sla_beat
):
    assert not app.conf.task_always_eager
    manager = make_user("incident_manager", team="incident_manager")
    service = make_service("24x7")
    # test data: a P3 logged five hours ago on a 24x7 calendar (acknowledge target 4 h)
    logged = timezone.now() - timedelta(hours=5)
    with time_machine.travel(logged, tick=False):
        incident, _ = services.incident_create(
            actor=manager,
            title="Printer queue stuck",
            impact="medium",
            urgency="medium",
            affected_service=service.reference,
        )
    assert incident.acknowledge_due_at < timezone.now()
    assert incident.sla_next_check_at < timezone.now()
    assert not SlaEvent.objects.filter(subject_ref=incident.reference).exists()

    def escalated():
        row = Incident.objects.select_related("assigned_team").get(pk=incident.pk)
        breached = SlaEvent.objects.filter(subject_ref=incident.reference, kind="acknowledge_breach").exists()
        return row if row.status == "escalated" and breached else None

    beat = EmbeddedService(app, thread=True, schedule_filename=str(tmp_path / "celerybeat-schedule"))
    started = time.monotonic()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        beat.start()
        try:
            row = _wait_for(escalated)
        finally:
            beat.service.stop()  # asks the loop to end; never blocks on a beat that died
            if beat.is_alive():
                beat.join(timeout=10)
    assert not beat.is_alive(), "beat did not stop"
    assert row is not None, (
        f"{incident.reference} was not escalated within {TIMEOUT:.0f} s by beat + worker "
        f"(broker {app.conf.broker_url})"
    )
    assert time.monotonic() - started < TIMEOUT + 25
    assert row.assigned_team.code == "L1"  # one step up from unassigned
    assert row.acknowledge_breached_at is not None
    system = AuditEvent.objects.filter(ref_id=incident.reference, actor_label="system")
    assert (
        system.filter(domain_action="escalate", additional_data__sla_event="acknowledge_breach").count() == 1
    )
    assert SlaEvent.objects.filter(subject_ref=incident.reference, kind="acknowledge_warning").count() == 1
