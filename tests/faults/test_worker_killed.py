"""A Celery worker killed (SIGKILL) in the middle of a sweep of 300 due incidents.

Real processes: a throwaway Redis as broker, one beat sweeping every few seconds, a worker
(solo pool, so the process killed is the one sweeping) on this test's PostgreSQL database.
300 P2s have been unassigned for 20 minutes, so each owes one escalation to the incident
manager (SPEC: "A P1/P2 left unassigned for 15 minutes escalates").

What it proves:

- the kill lands mid-sweep (some incidents escalated, most not); the incident being
  escalated at that instant is rolled back with the worker's connection, not half-done;
- a new worker finishes the job within one sweep interval of being ready, by the next beat
  tick, not by redelivery: the killed task's message stays unacked in Redis (acks_late)
  until the broker's visibility timeout, and the new worker never receives it during the
  test — the deadlines are rows, so the next sweep finds what is still due;
- every incident is escalated exactly once: one SlaEvent, one audit event by the system,
  one communication each, also after further sweeps; the audit trail still verifies.
"""

import re
import signal
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from catalog.models import BusinessCalendar, Service
from communications.models import Communication
from incidents import services
from incidents.models import Incident
from sla.models import SlaEvent
from tests.faults.support import (
    ThrowawayRedis,
    ims_environment,
    start_celery,
    stop_process,
    tail,
    this_run_database_url,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INCIDENTS = 300
SWEEP_SECONDS = 4
KILL_AFTER = 40  # escalations done when the worker is killed


def _escalations() -> int:
    return SlaEvent.objects.filter(kind="unassigned_escalation").count()


def _received_sweeps(log) -> list[str]:
    return re.findall(r"Task incidents\.tasks\.sla_sweep\[([0-9a-f-]+)\] received", log.read_text())


def test_a_worker_killed_mid_sweep_loses_and_doubles_no_escalation(tmp_path, make_user):
    manager = make_user("incident_manager", team="incident_manager")
    service = Service.objects.create(name="Payroll", calendar=BusinessCalendar.objects.get(name="24x7"))
    started = time.monotonic()
    with time_machine.travel(timezone.now() - timedelta(minutes=20), tick=False):
        references = [
            services.incident_create(
                actor=manager, title=f"Payroll run {n} failed", impact="high", urgency="medium",
                affected_service=service.reference,
            )[0].reference
            for n in range(INCIDENTS)
        ]  # fmt: skip
    print(f"logged {INCIDENTS} P2s in {time.monotonic() - started:.1f} s")
    assert set(Incident.objects.filter(reference__in=references).values_list("priority", flat=True)) == {"P2"}
    assert _escalations() == 0

    redis = ThrowawayRedis(tmp_path)
    redis.start()
    env = ims_environment(
        tmp_path,
        DATABASE_URL=this_run_database_url(),
        CACHE_URL=redis.url(1),
        CELERY_BROKER_URL=redis.url(0),
        IMS_SLA_SWEEP_SECONDS=str(SWEEP_SECONDS),
    )
    first = start_celery("worker", env, tmp_path)
    beat = start_celery("beat", env, tmp_path)
    second = None
    try:
        assert wait_for(lambda: _escalations() >= KILL_AFTER, timeout=40, interval=0.02), (
            f"the first sweep did not start:\n{tail(first.log)}\n{tail(beat.log)}"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed = time.monotonic()
        at_kill = _escalations()
        print(f"worker killed after {at_kill} of {INCIDENTS} escalations")
        assert at_kill < INCIDENTS, "the sweep finished before the kill: nothing was interrupted"
        [interrupted, *_] = _received_sweeps(first.log)[-1:] or [None]
        assert interrupted, tail(first.log)
        time.sleep(1)  # the dead worker's transaction is gone: nothing more is done, nothing half-done
        assert _escalations() == at_kill
        # unacked, held by Redis for the visibility timeout (5 minutes here)
        assert redis_unacked(redis) == 1

        second = start_celery("worker", env, tmp_path)
        assert wait_for(lambda: "ready." in second.log.read_text() if second.log.exists() else False, 30)
        ready = time.monotonic()
        resumed = wait_for(lambda: _escalations() > at_kill, timeout=SWEEP_SECONDS + 10, interval=0.05)
        picked_up = time.monotonic()
        everything = wait_for(lambda: _escalations() >= INCIDENTS, timeout=30, interval=0.2)
        done = time.monotonic()
        print(
            f"new worker ready {ready - killed:.1f} s after the kill, sweeping {picked_up - ready:.1f} s "
            f"later (sweep every {SWEEP_SECONDS} s); all {INCIDENTS} escalated {done - ready:.1f} s after"
        )
        assert resumed and everything, f"{_escalations()} of {INCIDENTS}\n{tail(second.log)}"
        # the next tick picked it up (within one interval, plus a little), not a redelivery
        assert picked_up - ready < SWEEP_SECONDS + 3
        assert interrupted not in _received_sweeps(second.log)

        time.sleep(2 * SWEEP_SECONDS)  # more sweeps: nothing is done twice
        per_incident = dict.fromkeys(references, 0)
        for ref in SlaEvent.objects.filter(subject_ref__in=references).values_list("subject_ref", flat=True):
            per_incident[ref] += 1
        assert set(per_incident.values()) == {1}
        system = AuditEvent.objects.filter(
            ref_id__in=references, actor_label="system", domain_action="escalate",
            additional_data__sla_event="unassigned_escalation",
        )  # fmt: skip
        assert system.count() == INCIDENTS
        assert set(system.values_list("ref_id", flat=True)) == set(references)
        assert AuditEvent.objects.filter(ref_id__in=references, actor_label="system").count() == INCIDENTS
        assert Communication.objects.filter(subject_ref__in=references).count() == INCIDENTS
        rows = Incident.objects.select_related("assigned_team").filter(reference__in=references)
        assert {(r.status, r.assigned_team.code, r.escalation_count) for r in rows} == {
            ("escalated", "incident_manager", 1)
        }
        call_command("audit_verify")  # the chain is whole: the killed transaction left no gap
        assert beat.poll() is None and second.poll() is None
    finally:
        for process in (beat, first, second):
            if process is not None:
                stop_process(process)
        redis.stop()


def redis_unacked(redis: ThrowawayRedis) -> int:
    """Messages delivered and not acked (kombu keeps them in the ``unacked`` hash)."""
    import redis as redis_client

    return redis_client.Redis.from_url(redis.url(0)).hlen("unacked")
