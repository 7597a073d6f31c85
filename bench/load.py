"""A bounded load run: locust's mix of users against gunicorn, PostgreSQL, Redis and Celery.

    .venv/bin/python bench/load.py --users 20 --duration 60 --out bench/results/load.json

Arguments: ``--database-url`` (default postgres://postgres@127.0.0.1:5432/ims_load),
``--incidents`` (base to bulk-load, default 5000), ``--users`` (locust users, default 20),
``--spawn-rate`` (users started per second, default: all at once), ``--duration`` (seconds,
default 60), ``--think MIN,MAX`` (seconds each user waits between tasks, default 0.2,1.0),
``--workers`` / ``--threads`` (gunicorn, default 2 gthread workers × 4 threads),
``--redis`` (default redis://127.0.0.1:6379) with ``--cache-db`` (7) and ``--broker-db`` (6),
``--fresh`` (drop and recreate the database first), ``--port``, ``--out FILE`` (JSON).

What it does:

1. creates the PostgreSQL database if missing and migrates it, with the production-like
   environment of bench/incident_api.py (DJANGO_DEBUG=false, a throwaway secret key,
   plain-HTTP loopback: no SSL redirect, no secure cookies, no HSTS) plus
   ``CACHE_URL=<redis>/<cache-db>`` and ``CELERY_BROKER_URL=<redis>/<broker-db>`` (both Redis
   databases are FLUSHDB'ed first — only those two) and ``IMS_DATA_DIR=data/bench-<db name>``.
   The API throttles are raised (``IMS_THROTTLE_USER``/``IMS_THROTTLE_ANON`` 10,000,000/minute)
   so the run measures IMS, not its rate limiter. ``IMS_AUDIT_KEY`` is a fixed bench key, so
   the trail of the bench database verifies across runs;
2. once, bulk-loads ``--incidents`` incidents with bench/incident_api.py's loader (a year of
   them, mostly closed, the last week's still being worked; 300 end users; 20 services), then
   gives the last week's unswept incidents their SLA deadlines (``refresh_deadlines``), so the
   sweep has warnings, breaches, escalations and automatic closures to do during the load;
3. creates the accounts and fresh tokens: 10 service desk analysts (members of the
   service_desk team), 1 monitoring integration (a service_desk token) and 40 end users
   (loaded reporters, who already have incidents), and writes them to a fixture file for
   bench/locustfile.py (under IMS_DATA_DIR, removed afterwards);
4. starts ``gunicorn ims.wsgi``, a Celery worker (``-c 2``) and **one** Celery beat (the SLA
   sweep every 30 s), and runs ``locust -f bench/locustfile.py --headless -u N -r N -t Ds``
   against it on 127.0.0.1 (the users are described in bench/locustfile.py);
5. prints per endpoint: requests, failures, p50 and p95 (ms, locust's rounding), req/s; the
   genuine races (``409 conflict``: someone changed the incident since the analyst read it)
   apart; the sweeps the worker ran and the SLA events they recorded during the run; then
   runs ``audit_verify`` over the trail the load wrote;
6. stops every process it started, and exits non-zero if any request failed (5xx, an
   unexpected 4xx, a connection error), if no request was made, if no sweep ran, if a Celery
   task failed, or if the trail does not verify.

The run leaves its rows in the bench database; ``--fresh`` starts again. Never point it at a
real database or at Redis databases something else uses.
"""

import argparse
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402 - needs ROOT on sys.path
from bench.incident_api import (  # noqa: E402
    HOST,
    configure_environment,
    free_port,
    load,
    setup_django,
    start_gunicorn,
    stop,
    wait_until_serving,
)

BENCH_AUDIT_KEY = "ims-bench-load-audit-key-for-a-throwaway-database-only"
ANALYSTS, END_USERS = 10, 40
SWEEP_DONE = re.compile(r"Task incidents\.tasks\.sla_sweep\[[^\]]+\] succeeded")
TASK_FAILED = re.compile(r"Task \S+\[[^\]]+\] (raised unexpected|retry)")


def environment(args, data_dir: Path) -> dict:
    configure_environment(args.database_url)
    os.environ.update(
        {
            "CACHE_URL": f"{args.redis}/{args.cache_db}",
            "CELERY_BROKER_URL": f"{args.redis}/{args.broker_db}",
            "IMS_DATA_DIR": str(data_dir),
            "IMS_AUDIT_KEY": BENCH_AUDIT_KEY,
        }
    )
    return dict(os.environ)


def flush_redis(args) -> None:
    import redis

    for db in (args.cache_db, args.broker_db):
        redis.Redis.from_url(f"{args.redis}/{db}").flushdb()


# ---- fixtures -----------------------------------------------------------------------------
def prime_sla_deadlines() -> int:
    """The last week's incidents get the deadlines the services would have given them (the
    bulk loader leaves ``sla_next_check_at`` empty), so the sweep has real work."""
    from django.utils import timezone

    from incidents.models import Incident
    from incidents.sla import refresh_deadlines

    fields = [
        "sla_policy", "acknowledge_due_at", "acknowledge_warn_at", "resolve_due_at", "resolve_warn_at",
        "next_update_due_at", "pir_due_at", "grace_close_at", "sla_next_check_at",
    ]  # fmt: skip
    incidents = list(
        Incident.objects.filter(
            logged_at__gte=timezone.now() - timedelta(days=7),
            sla_next_check_at__isnull=True,
            acknowledge_warned_at__isnull=True,
        )
        .exclude(status="closed")
        .select_related("affected_service__calendar", "sla_policy")
    )
    for incident in incidents:
        refresh_deadlines(incident)
    Incident.objects.bulk_update(incidents, fields, batch_size=1000)
    return sum(1 for incident in incidents if incident.sla_next_check_at)


def accounts() -> dict:
    """Users of each kind with a fresh token, and the services they report against."""
    from django.contrib.auth.models import Group

    from accounts.models import ApiToken, Team, User
    from catalog.models import Service

    def with_token(username: str, role: str) -> dict:
        user, _ = User.objects.get_or_create(username=username)
        user.groups.add(Group.objects.get(name=role))
        if role == "service_desk":
            Team.objects.get(code="service_desk").members.add(user)
        _, key = ApiToken.issue(user=user, name="bench/load.py")
        return {"username": username, "token": key}

    return {
        "analysts": [with_token(f"bench-load-analyst-{n:02d}", "service_desk") for n in range(ANALYSTS)],
        "integrations": [with_token("bench-load-monitoring", "service_desk")],
        "end_users": [with_token(f"bench-reporter-{n:03d}", "end_user") for n in range(END_USERS)],
        "services": list(
            Service.objects.filter(name__startswith="Bench service").values_list("reference", flat=True)
        ),
    }


# ---- processes ----------------------------------------------------------------------------
def start_celery(env: dict, kind: str, data_dir: Path) -> subprocess.Popen:
    celery = Path(sys.executable).parent / "celery"
    command = [
        str(celery),
        "-A",
        "ims",
        kind,
        "--loglevel",
        "INFO",
        "--logfile",
        str(data_dir / f"{kind}.log"),
    ]
    if kind == "worker":
        command += ["-c", "2", "--without-gossip", "--without-mingle", "-n", "bench-load@%h"]
    else:
        command += ["-s", str(data_dir / "celerybeat-schedule")]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    print(f"started celery {kind} (pid {process.pid})")
    return process


def wait_for_worker(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"celery worker exited with {process.returncode}:\n{read(log)[-3000:]}")
        if " ready." in read(log):
            return
        time.sleep(0.3)
    sys.exit(f"celery worker not ready within 60 s:\n{read(log)[-3000:]}")


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def run_locust(env: dict, args, port: int, fixture: Path, results: Path) -> int:
    locust = Path(sys.executable).parent / "locust"
    command = [
        str(locust), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate or args.users), "-t", f"{args.duration:g}s",
        "--host", f"http://{HOST}:{port}", "--only-summary", "--stop-timeout", "10",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    print("running", " ".join(command[1:]))
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env={**env, "IMS_LOAD_FIXTURE": str(fixture), "IMS_LOAD_RESULTS": str(results)},
        check=False,
    )
    return completed.returncode


# ---- figures ------------------------------------------------------------------------------
def percentile(histogram: dict, count: int, fraction: float) -> float | None:
    """From locust's histogram (response time rounded as locust rounds it -> count)."""
    if not count:
        return None
    rank, seen = max(1, math.ceil(fraction * count)), 0
    for milliseconds, n in sorted((float(k), v) for k, v in histogram.items()):
        seen += n
        if seen >= rank:
            return milliseconds
    return None


def endpoint_rows(results: dict) -> list[dict]:
    total = results["total"]
    span = max(total["last_request_timestamp"] - total["start_time"], 1e-9)

    def row(entry: dict, name: str) -> dict:
        count = entry["num_requests"]
        return {
            "method": entry["method"] or "",
            "endpoint": name,
            "requests": count,
            "failures": entry["num_failures"],
            "p50_ms": percentile(entry["response_times"], count, 0.50),
            "p95_ms": percentile(entry["response_times"], count, 0.95),
            "rps": count / span,
        }

    rows = [row(e, e["name"]) for e in sorted(results["entries"], key=lambda e: (e["name"], e["method"]))]
    return [*rows, row(total, "Aggregated")]


def failure_rows(results: dict) -> list[dict]:
    return [
        {"method": e["method"], "endpoint": e["name"], "error": e["error"], "occurrences": e["occurrences"]}
        for e in results["errors"]
    ]


def sweep_activity(since, worker_log: Path) -> dict:
    from django.db.models import Count

    from sla.models import SlaEvent

    kinds = SlaEvent.objects.filter(occurred_at__gte=since).values("kind").annotate(n=Count("id"))
    log = read(worker_log)
    return {
        "sweeps_succeeded": len(SWEEP_DONE.findall(log)),
        "failed_tasks": [line for line in log.splitlines() if TASK_FAILED.search(line)][:20],
        "sla_events": {row["kind"]: row["n"] for row in kinds},
    }


def audit_verification() -> tuple[bool, str]:
    from audit.verify import verify_trail

    report = verify_trail()
    return report.intact, report.summary() if report.intact else report.problem


def print_table(rows: list[dict]) -> None:
    head = f"{'endpoint':<62} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7}"
    print(head)
    print("-" * len(head))
    for row in rows:
        label = row["endpoint"] if row["endpoint"] == "Aggregated" else f"{row['method']} {row['endpoint']}"
        p50 = f"{row['p50_ms']:.0f}" if row["p50_ms"] is not None else "-"
        p95 = f"{row['p95_ms']:.0f}" if row["p95_ms"] is not None else "-"
        print(
            f"{label:<62} {row['requests']:>8} {row['failures']:>5} {p50:>7} {p95:>7} {row['rps'] or 0:>7.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ims_load")
    parser.add_argument("--incidents", type=int, default=5000, help="base incidents (default 5000)")
    parser.add_argument("--users", type=int, default=20, help="locust users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=0, help="users started per second (default: all)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--think", default="0.2,1.0", help="MIN,MAX seconds between a user's tasks")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server (no database)")
    parser.add_argument("--cache-db", type=int, default=7, help="Redis database of the cache (default 7)")
    parser.add_argument("--broker-db", type=int, default=6, help="Redis database of the broker (default 6)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    think = [float(x) for x in args.think.split(",")]
    if args.workers < 2:
        parser.error("--workers must be 2 or more: the load check runs several gunicorn workers")

    import dj_database_url

    data_dir = ROOT / "data" / f"bench-{dj_database_url.parse(args.database_url)['NAME']}"
    if args.fresh:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(args, data_dir)
    flush_redis(args)
    ensure_database(args.database_url, recreate=args.fresh)
    setup_django()
    load(args.incidents)
    print(f"{prime_sla_deadlines()} recent incidents given SLA deadlines for the sweep")
    fixture_path = data_dir / f"fixture-{secrets.token_hex(4)}.json"
    fixture = accounts()
    fixture["think"] = think
    fixture_path.write_text(json.dumps(fixture))
    from django.db import connections
    from django.utils import timezone

    connections.close_all()

    port = args.port or free_port()
    results_path = data_dir / "locust-results.json"
    results_path.unlink(missing_ok=True)
    for log in ("worker.log", "beat.log", "gunicorn.log"):
        (data_dir / log).unlink(missing_ok=True)
    (data_dir / "celerybeat-schedule").unlink(missing_ok=True)
    processes: list[subprocess.Popen] = []
    try:
        gunicorn = start_gunicorn(env, port, args.workers, args.threads, data_dir / "gunicorn.log")
        processes.append(gunicorn)
        worker = start_celery(env, "worker", data_dir)
        processes.append(worker)
        processes.append(start_celery(env, "beat", data_dir))
        wait_until_serving(port, fixture["analysts"][0]["token"], gunicorn, data_dir / "gunicorn.log")
        wait_for_worker(worker, data_dir / "worker.log")
        started = timezone.now()
        # beat's first sweep comes 30 s after it starts: queue one now, so that even a short
        # run has the sweep working beside it (beat's own follow every 30 s)
        from ims.celery import app

        app.send_task("incidents.tasks.sla_sweep", expires=25)
        locust_rc = run_locust(env, args, port, fixture_path, results_path)
        time.sleep(2)  # let a sweep that started during the load finish and log
    finally:
        for process in reversed(processes):
            stop(process)
        fixture_path.unlink(missing_ok=True)

    if not results_path.exists():
        sys.exit(f"locust exited {locust_rc} without writing {results_path}")
    results = json.loads(results_path.read_text())
    rows = endpoint_rows(results)
    failures = failure_rows(results)
    sweep = sweep_activity(started, data_dir / "worker.log")
    intact, verification = audit_verification()
    races = [r for r in rows if r["endpoint"].endswith("[409 conflict]")]
    total = next((r for r in rows if r["endpoint"] == "Aggregated"), {"requests": 0, "failures": 0})
    server_errors = [line for line in read(data_dir / "gunicorn.log").splitlines() if "Traceback" in line]

    print()
    print(
        f"{args.users} users · {args.duration:g} s · think {think[0]:g}–{think[1]:g} s"
        f" · gunicorn -w {args.workers} gthread×{args.threads} · celery worker -c 2 + beat"
        f" · {os.cpu_count()} CPUs"
    )
    print_table(rows)
    for failure in failures:
        where = f"{failure['method']} {failure['endpoint']}"
        print(f"  FAILED {failure['occurrences']}× {where}: {failure['error']}")
    print(f"genuine races (409 conflict, not errors): {sum(r['requests'] for r in races)}")
    print(
        f"SLA sweeps during the load: {sweep['sweeps_succeeded']}; SLA events recorded: {sweep['sla_events']}"
    )
    for line in sweep["failed_tasks"]:
        print(f"  TASK FAILED {line}")
    print(f"audit_verify: {verification}")

    problems = []
    if total["failures"]:
        problems.append(f"{total['failures']} failed requests")
    if not total["requests"]:
        problems.append(f"no requests (locust exited {locust_rc})")
    if not sweep["sweeps_succeeded"]:
        problems.append("no SLA sweep ran during the load")
    if sweep["failed_tasks"]:
        problems.append(f"{len(sweep['failed_tasks'])} Celery tasks failed")
    if server_errors:
        problems.append(f"{len(server_errors)} tracebacks in the gunicorn log")
    if not intact:
        problems.append("the audit trail does not verify")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "cpus": os.cpu_count(),
                    "endpoints": rows,
                    "failures": failures,
                    "races_409_conflict": sum(r["requests"] for r in races),
                    "sweep": sweep,
                    "audit_verify": verification,
                    "problems": problems,
                },
                indent=2,
            )
        )
        print(f"wrote {args.out}")
    if problems:
        sys.exit("LOAD CHECK FAILED: " + "; ".join(problems))
    print("load check passed: 0 errors")


if __name__ == "__main__":
    main()
