"""Server time of the desk's pages with 100,000 (or 1,000,000) incidents on PostgreSQL.

    .venv/bin/python bench/desk_pages.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ims_bench_desk [--requests 30]
    .venv/bin/python bench/desk_pages.py --incidents 1000000 --reload   # several minutes

Creates the database if it does not exist, migrates it, loads the demo users and services
(seed_demo) and, once, bulk-loads ``--incidents`` incidents (bulk_create; references
INC-000001…, ReferenceCounter set after them) spread over 180 days, mostly closed, with
their audit events (hash-chained), acknowledgements and SLA deadlines, plus one incident
with a 50-entry timeline made through the services. ``--reload`` starts the data afresh
(drops and recreates the database). Before measuring, ``VACUUM ANALYZE`` of the incidents
puts the table in the state autovacuum keeps it in (the counts read the queue indexes
only where the visibility map allows).

Then times ``--requests`` requests per page in-process (django.test.Client with
force_login, after 3 warm-up requests) and prints p50 / p95 / max in milliseconds and the
queries of one request: every workspace queue (and its 30-second refresh), filters and
searches, the exact count asked for with one click, and the incident page with a 50-entry
timeline. This is Django's time for the whole request (middleware, session, queries,
template), without a web server or network in front. Targets (issue 18): any workspace
queue p95 <= 50 ms at 100,000 and at 1,000,000 incidents; the 50-entry incident page p95
<= 40 ms. The exact count is the one page meant to grow with the table.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402 - needs ROOT on sys.path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ims_bench_desk"
BATCH = 5000


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log kept in memory; the production error pages


# ---- data ---------------------------------------------------------------------------------
def load(target: int) -> None:
    from io import StringIO

    from django.core.management import call_command

    from incidents.models import Incident

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=StringIO())
    have = Incident.objects.count()
    if have >= target:
        print(f"{have} incidents already loaded")
    elif have:
        sys.exit(f"{have} incidents present, fewer than {target}: run with --reload")
    else:
        started = time.perf_counter()
        bulk_load(target)
        print(f"loaded {target} incidents in {time.perf_counter() - started:.0f} s")
        with_timeline()
    vacuum()


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE incidents_incident")


def bulk_load(count: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Team, User
    from audit.services import append_events, build_event
    from catalog.models import Service
    from communications.models import Communication, Kind, Recipients
    from core.models import ReferenceCounter
    from incidents.choices import PRIORITY_MATRIX
    from incidents.models import Incident
    from sla.services import sla_policy_current, sla_targets

    rng = random.Random(20261125)
    now = timezone.now()
    end_user_group = Group.objects.get(name="end_user")
    reporters = User.objects.bulk_create(
        [User(username=f"bench-user-{n:04d}", email=f"bench{n}@ims.example") for n in range(500)]
    )
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=end_user_group.pk) for u in reporters]
    )
    demo = {u.username: u for u in User.objects.filter(username__in=["enduser", "analyst", "l1", "l2", "l3"])}
    teams = {t.code: t for t in Team.objects.all()}
    assignees = {"L1": demo["l1"], "L2": demo["l2"], "L3": demo["l3"]}
    services = list(Service.objects.all())
    policy = sla_policy_current()
    targets = sla_targets(policy)
    levels, level_weights = ["low", "medium", "high"], [40, 45, 15]
    team_codes, team_weights = ["L1", "L2", "L3", "service_desk", "facilities"], [45, 30, 10, 10, 5]
    recent = (
        ["open", "in_progress", "escalated", "pending_vendor", "resolved", "closed"],
        [25, 35, 10, 5, 15, 10],
    )
    older = (["closed", "resolved", "in_progress", "open", "escalated"], [93, 2, 3, 1, 1])
    words = "mail VPN printer laptop login payroll portal Wi-Fi slow error timeout crash sync disk".split()
    created_at = Incident._meta.get_field("created_at")
    created_at.auto_now_add = False  # keep the spread-out creation times
    written = 0
    com_number = (
        ReferenceCounter.objects.filter(prefix="COM").values_list("last_value", flat=True).first() or 0
    )

    def audit(incident, action, actor, at, changes):
        return build_event(action=action, obj=incident, actor=actor, changes=changes, at=at)

    try:
        for start in range(0, count, BATCH):
            batch = []
            for n in range(start + 1, min(start + BATCH, count) + 1):
                logged = now - timedelta(days=180 * (count - n) / count, minutes=rng.randint(0, 600))
                age_days = (now - logged).days
                statuses, weights = recent if age_days < 7 else older
                status = rng.choices(statuses, weights)[0]
                impact, urgency = rng.choices(levels, level_weights, k=2)
                priority = PRIORITY_MATRIX[(impact, urgency)]
                target = targets[priority]
                reporter = demo["enduser"] if n % 500 == 0 else rng.choice(reporters)
                team_code = None if status == "open" else rng.choices(team_codes, team_weights)[0]
                assignee = assignees.get(team_code) if team_code and rng.random() < 0.3 else None
                acknowledged = logged + timedelta(minutes=rng.randint(2, 60)) if team_code else None
                resolved = (
                    logged + timedelta(minutes=rng.randint(30, target.resolve_minutes * 2))
                    if status in ("resolved", "closed")
                    else None
                )
                ack_due = logged + timedelta(minutes=target.acknowledge_minutes)
                resolve_due = logged + timedelta(minutes=target.resolve_minutes)
                batch.append(
                    Incident(
                        reference=f"INC-{n:06d}",
                        title=" ".join(rng.choice(words) for _ in range(3)).capitalize() + f" #{n}",
                        description="Loaded by bench/desk_pages.py. " * rng.randint(1, 6),
                        category="security"
                        if rng.random() < 0.03
                        else rng.choice(["hardware", "software", "network", "performance", "other"]),  # noqa: E501
                        impact=impact,
                        urgency=urgency,
                        priority=priority,
                        status=status,
                        reporter=reporter,
                        affected_service=rng.choice(services),
                        assigned_team=teams[team_code] if team_code else None,
                        assignee=assignee,
                        detected_at=logged,
                        logged_at=logged,
                        created_at=logged,
                        acknowledged_at=acknowledged,
                        resolved_at=resolved,
                        closed_at=resolved + timedelta(days=1) if status == "closed" else None,
                        resolution_summary="Fixed." if resolved else "",
                        service_restored=bool(resolved),
                        closure_notes="Confirmed." if status == "closed" else "",
                        sla_policy=policy,
                        acknowledge_due_at=ack_due,
                        acknowledge_warn_at=ack_due - timedelta(minutes=target.acknowledge_minutes / 4),
                        resolve_due_at=None if status == "pending_vendor" else resolve_due,
                        resolve_warn_at=None
                        if status == "pending_vendor"
                        else resolve_due - timedelta(minutes=target.resolve_minutes / 4),
                        sla_next_check_at=(acknowledged and resolve_due or ack_due)
                        if status not in ("resolved", "closed")
                        else None,
                        version=1 + bool(team_code) + bool(resolved) + (status == "closed"),
                    )
                )
            with transaction.atomic():
                Incident.objects.bulk_create(batch)
                events, notes = [], []
                for inc in batch:
                    events.append(
                        audit(inc, "identify", inc.reporter, inc.logged_at, {"status": [None, "open"]})
                    )
                    if inc.assigned_team_id:
                        code = inc.assigned_team.code
                        events.append(
                            audit(inc, "update", demo["analyst"], inc.acknowledged_at, {"team": [None, code]})
                        )
                        com_number += 1
                        notes.append(
                            Communication(
                                reference=f"COM-{com_number:06d}",
                                subject_ref=inc.reference,
                                kind=Kind.ACKNOWLEDGEMENT,
                                recipients=[Recipients.REPORTER],
                                recipient_detail=inc.reporter.username,
                                message=f"We have received {inc.reference}. It is assigned to {code}.",
                                sender=demo["analyst"],
                            )
                        )
                    if inc.resolved_at:
                        events.append(
                            audit(inc, "resolve", demo["l1"], inc.resolved_at, {"status": [None, "resolved"]})
                        )  # noqa: E501
                    if inc.closed_at:
                        events.append(
                            audit(
                                inc,
                                "close",
                                demo["analyst"],
                                inc.closed_at,
                                {"status": ["resolved", "closed"]},
                            )
                        )  # noqa: E501
                append_events(events)  # chained by the trail's own writer, one lock per batch
                Communication.objects.bulk_create(notes)
            written += len(events)
            print(f"  {start + len(batch):>7} incidents, {written} audit events", end="\r", flush=True)
        print()
    finally:
        created_at.auto_now_add = True
    for prefix, value in (("INC", count), ("COM", com_number)):
        ReferenceCounter.objects.update_or_create(prefix=prefix, defaults={"last_value": value})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def with_timeline() -> str:
    """A P1 worked through the services, with 50 timeline entries."""
    from django.contrib.auth import get_user_model

    from catalog.models import Service
    from incidents import services

    User = get_user_model()
    manager, enduser = User.objects.get(username="manager"), User.objects.get(username="enduser")
    incident, _ = services.incident_create(
        actor=enduser,
        title="Bench: VPN down with a long timeline",
        impact="high",
        urgency="high",
        affected_service=Service.objects.get(name="VPN").reference,
    )
    ref = incident.reference
    services.incident_assign(incident=ref, actor=manager, team="L2", assignee="l2")
    for n in range(23):
        services.incident_communicate(
            incident=ref, actor=manager, recipients=["end_users", "stakeholders"], message=f"Update {n + 1}."
        )
    services.incident_diagnose(incident=ref, actor=manager, steps="Concentrator firmware.")
    return ref


# ---- measurement ---------------------------------------------------------------------------
# the workspace list refreshing itself every 30 s (htmx, incidents/_list.html)
REFRESH = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "incident-list", "HTTP_X_IMS_BACKGROUND": "1"}


def measure(client, url: str, requests: int, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(3):
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    query_count = len(queries)  # now: the next request resets the connection's query log
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
        "queries": query_count,
    }


def run(requests: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from incidents.models import Incident

    User = get_user_model()
    clients = {}
    for name in ("analyst", "manager", "l1", "enduser"):
        clients[name] = Client()
        clients[name].force_login(User.objects.get(username=name))
    long_ref = (
        Incident.objects.filter(title__startswith="Bench: VPN").values_list("reference", flat=True).first()
    )
    closed = Incident.objects.filter(status="closed", category="software").order_by("id")
    closed_ref = closed.values_list("reference", flat=True)[closed.count() // 2]
    search = "/incidents/?queue=all&q=printer+timeout"
    p1_p2 = "/incidents/?queue=all&priority=P1&priority=P2&status=open&ordering=priority"
    pages = [  # (label, who, url, headers)
        ("workspace: unassigned (default)", "analyst", "/incidents/", None),
        ("workspace: unassigned, 30 s refresh", "analyst", "/incidents/", REFRESH),
        ("workspace: mine (L1)", "l1", "/incidents/?queue=mine", None),
        ("workspace: my team (L1)", "l1", "/incidents/?queue=team", None),
        ("workspace: my team (service desk)", "analyst", "/incidents/?queue=team", None),
        ("workspace: breaching soon", "analyst", "/incidents/?queue=breaching", None),
        ("workspace: all I can see", "analyst", "/incidents/?queue=all", None),
        ("workspace: all I can see, 30 s refresh", "analyst", "/incidents/?queue=all", REFRESH),
        ("workspace: all, page 200", "analyst", "/incidents/?queue=all&page=200", None),
        ("workspace: all (incident manager)", "manager", "/incidents/?queue=all", None),
        ("workspace: P1+P2 open, by priority", "analyst", p1_p2, None),
        ("workspace: text search", "analyst", search, None),
        ("workspace: reference search", "analyst", f"/incidents/?queue=all&q={closed_ref}", None),
        ("workspace: all, exact count (one click)", "analyst", "/incidents/?queue=all&count=exact", None),
        ("incident page: 50-entry timeline", "manager", f"/incidents/{long_ref}/", None),
        ("incident page: 50-entry timeline (reporter)", "enduser", f"/incidents/{long_ref}/", None),
        ("incident page: closed, 4 entries", "analyst", f"/incidents/{closed_ref}/", None),
        ("my incidents (200 reported)", "enduser", "/my/", None),
    ]
    print(f"\n{Incident.objects.count()} incidents; {requests} requests per page after 3 warm-up requests")
    print(f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for label, who, url, headers in pages:
        result = measure(clients[who], url, requests, headers)
        p50, p95, worst, queries = (result[k] for k in ("p50", "p95", "max", "queries"))
        print(f"{label:<46} {p50:>8.1f} {p95:>8.1f} {worst:>8.1f} {queries:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reload", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("this benchmark runs on PostgreSQL")
    ensure_database(args.database_url, recreate=args.reload)
    setup_django(args.database_url)
    load(args.incidents)
    run(args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
