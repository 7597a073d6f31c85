"""Redis stopped while incidents are created, then started again (empty, as a broker
without persistence comes back).

Real processes: gunicorn serving IMS with production settings (DJANGO_DEBUG off) and a
throwaway Redis as both its cache (where the API's throttles count) and the Celery broker;
a Celery worker and one beat (sweeping every 2 s) on that broker; all on this test's
PostgreSQL database.

What it proves:

- while Redis is down the API keeps answering over HTTP: every incident create is 201 and
  every list 200 (the throttles fail open and log a warning); /healthz says 503;
- what fell due while Redis was down is done once Redis is back, exactly once: P2s whose
  15 minutes unassigned ran out during the outage are escalated to the incident manager,
  P3s that reached 75 % of their acknowledge target are warned — for each, one SlaEvent, one
  audit event by the system and one communication, also after several more sweeps.

What it does not cover: IMS publishes nothing to Celery per request (there is no
notification outbox yet; delivering e-mail and webhooks is a later issue), so the
"notifications queued while the broker was down" are the SLA sweep's automatic actions,
which are stored as deadlines on the incidents and found again by the next sweep, not
kept as messages in Redis.
"""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import ApiToken
from audit.models import AuditEvent
from catalog.models import BusinessCalendar, Service
from communications.models import Communication
from incidents import services
from incidents.models import Incident
from sla.models import SlaEvent
from tests.faults.support import (
    Tally,
    ThrowawayRedis,
    ims_environment,
    request,
    start_celery,
    start_gunicorn,
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

SWEEP_SECONDS = 2
OUTAGE_SECONDS = 10
DUE_IN = 4  # seconds after Redis stops, the seeded checks fall due
PER_KIND = 8


def _log(manager, service, *, priority: str, ago: timedelta, title: str) -> Incident:
    impact, urgency = {"P2": ("high", "medium"), "P3": ("medium", "medium")}[priority]
    with time_machine.travel(timezone.now() - ago, tick=False):
        incident, _ = services.incident_create(
            actor=manager, title=title, impact=impact, urgency=urgency, affected_service=service.reference
        )
    return incident


def _done(references: list[str]) -> dict:
    """Per reference: (SlaEvents, audit events by the system, communications)."""
    sla = dict.fromkeys(references, 0)
    for ref in SlaEvent.objects.filter(subject_ref__in=references).values_list("subject_ref", flat=True):
        sla[ref] += 1
    audit = dict.fromkeys(references, 0)
    for ref in AuditEvent.objects.filter(
        ref_id__in=references, actor_label="system", additional_data__has_key="sla_event"
    ).values_list("ref_id", flat=True):
        audit[ref] += 1
    notes = dict.fromkeys(references, 0)
    for ref in Communication.objects.filter(subject_ref__in=references).values_list("subject_ref", flat=True):
        notes[ref] += 1
    return {ref: (sla[ref], audit[ref], notes[ref]) for ref in references}


def test_api_answers_while_redis_is_down_and_due_sla_actions_run_once_when_it_returns(tmp_path, make_user):
    manager = make_user("incident_manager", team="incident_manager")
    analyst = make_user("service_desk", team="service_desk")
    _, token = ApiToken.issue(user=analyst, name="faults")
    service = Service.objects.create(name="Mail", calendar=BusinessCalendar.objects.get(name="24x7"))

    redis = ThrowawayRedis(tmp_path)
    redis.start()
    env = ims_environment(
        tmp_path,
        DATABASE_URL=this_run_database_url(),
        CACHE_URL=redis.url(1),
        CELERY_BROKER_URL=redis.url(0),
        IMS_SLA_SWEEP_SECONDS=str(SWEEP_SECONDS),
    )
    gunicorn, port = start_gunicorn(env, tmp_path)
    worker = start_celery("worker", env, tmp_path)
    beat = start_celery("beat", env, tmp_path)
    try:
        # the pipeline works before the fault: a P2 unassigned for 16 minutes is escalated
        canary = _log(manager, service, priority="P2", ago=timedelta(minutes=16), title="Canary")
        assert wait_for(lambda: _done([canary.reference])[canary.reference] == (1, 1, 1), timeout=40), (
            f"beat + worker did not sweep before the fault:\n{tail(worker.log)}\n{tail(beat.log)}"
        )
        body = {
            "title": "Mail down",
            "category": "software",
            "impact": "high",
            "urgency": "high",
            "affected_service": service.reference,
        }
        assert request(port, "POST", "/api/v1/incidents/", token=token, body=body).status == 201

        # checks that fall due DUE_IN seconds into the outage: P2s reaching 15 minutes
        # unassigned, P3s (24x7 calendar, 4 h to acknowledge) reaching 75 % = 3 h
        due_at = timezone.now() + timedelta(seconds=DUE_IN + 2)  # + the time to log them
        lead = due_at - timezone.now()
        unassigned = [
            _log(manager, service, priority="P2", ago=timedelta(minutes=15) - lead, title=f"P2 {n}").reference
            for n in range(PER_KIND)
        ]
        lead = due_at - timezone.now()
        warned = [
            _log(manager, service, priority="P3", ago=timedelta(hours=3) - lead, title=f"P3 {n}").reference
            for n in range(PER_KIND)
        ]
        seeded = unassigned + warned
        assert timezone.now() < due_at - timedelta(seconds=1), "seeding took too long"

        # --- the fault: Redis (cache and broker) stops --------------------------------------
        redis.stop()
        stopped = time.monotonic()
        tally, health = Tally(), Tally()
        created: list[str] = []

        def load() -> None:
            n = 0
            while time.monotonic() - stopped < OUTAGE_SECONDS:
                n += 1
                try:
                    answer = request(
                        port,
                        "POST",
                        "/api/v1/incidents/",
                        token=token,
                        body={**body, "title": f"Created during the outage {n}"},
                    )
                    tally.add(("create", answer.status))
                    if answer.status == 201:
                        created.append(answer.json()["id"])
                    answer = request(port, "GET", "/api/v1/incidents/?page_size=5", token=token)
                    tally.add(("list", answer.status))
                except OSError as exc:
                    tally.add(("error", type(exc).__name__))
                if n % 5 == 0:
                    health.add(request(port, "GET", "/healthz").status)

        clients = [threading.Thread(target=load) for _ in range(2)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        assert timezone.now() > due_at, "the seeded checks must fall due during the outage"
        during = _done(seeded)
        redis.start()
        restarted = time.monotonic()

        outage = restarted - stopped
        creates = tally.count(lambda w: w[0] == "create")
        lists = tally.count(lambda w: w[0] == "list")
        statuses = sorted({w for _, w in tally.answers})
        print(
            f"Redis down {outage:.1f} s: {creates} creates, {lists} lists {statuses}, "
            f"/healthz {sorted({w for _, w in health.answers})}"
        )
        assert creates >= 10 and lists >= 10
        assert tally.count(lambda w: w == ("create", 201)) == creates, tally.answers
        assert tally.count(lambda w: w == ("list", 200)) == lists, tally.answers
        assert health.answers and all(w == 503 for _, w in health.answers), health.answers
        assert "cache is unavailable" in tail(gunicorn.out, 20000)
        # the incidents created over HTTP during the outage are there, each audited once
        assert Incident.objects.filter(reference__in=created).count() == len(created) == creates
        assert AuditEvent.objects.filter(ref_id__in=created, domain_action="identify").count() == len(created)
        # nothing was done while the broker was down
        assert set(during.values()) == {(0, 0, 0)}, during

        # --- Redis is back (empty): the next sweeps do what fell due, once ---------------------
        everything = wait_for(lambda: set(_done(seeded).values()) == {(1, 1, 1)}, timeout=45, interval=0.5)
        recovered = time.monotonic() - restarted
        print(f"every due action done {recovered:.1f} s after Redis returned")
        assert everything, f"{_done(seeded)}\n{tail(worker.log)}\n{tail(beat.log)}"
        time.sleep(3 * SWEEP_SECONDS)  # more sweeps: nothing is done twice
        assert set(_done(seeded).values()) == {(1, 1, 1)}, _done(seeded)
        rows = Incident.objects.select_related("assigned_team").filter(reference__in=unassigned)
        assert {(r.status, r.assigned_team.code) for r in rows} == {("escalated", "incident_manager")}
        assert all(r.acknowledge_warned_at for r in Incident.objects.filter(reference__in=warned))
        assert {e.kind for e in SlaEvent.objects.filter(subject_ref__in=unassigned)} == {
            "unassigned_escalation"
        }
        assert {e.kind for e in SlaEvent.objects.filter(subject_ref__in=warned)} == {"acknowledge_warning"}
        assert worker.poll() is None and beat.poll() is None
    finally:
        for process in (beat, worker, gunicorn):
            stop_process(process)
        redis.stop()
