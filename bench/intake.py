"""Monitoring intake throughput over HTTP on gunicorn with PostgreSQL.

    .venv/bin/python bench/intake.py --database-url postgres://postgres@127.0.0.1:5432/ims_bench_intake

Creates (``--fresh``: recreates) and migrates the database, makes a service, an intake user
(service desk role) and an intake-scoped token, starts ``gunicorn ims.wsgi`` and measures,
each for ``--duration`` seconds with ``--clients`` keep-alive connections:

    single   POST /api/v1/events/ one event per request (each a fresh event_id; low
             severity, so stored only: the intake path without incident creation)
    batch    POST /api/v1/events/ lists of ``--batch`` (500) events, de-duplication on:
             critical events on ``--keys`` dedup keys, so after the first batch every event
             attaches to an open incident (count, last seen)

and prints events/s and p50/p95 request latency. Never point it at a real database.
"""

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402 - needs ROOT on sys.path
from bench.incident_api import (  # noqa: E402
    Client,
    configure_environment,
    free_port,
    setup_django,
    start_gunicorn,
    stop,
)


def prepare() -> tuple[str, str, str]:
    from django.contrib.auth.models import Group

    from accounts.models import ApiToken, TokenScope, User
    from catalog.models import Service
    from core.roles import Role

    service, _ = Service.objects.get_or_create(name="Bench intake service")
    intake, _ = User.objects.get_or_create(username="bench-intake")
    intake.groups.add(Group.objects.get(name=Role.SERVICE_DESK))
    reader, _ = User.objects.get_or_create(username="bench-intake-reader")
    reader.groups.add(Group.objects.get(name=Role.SERVICE_DESK))
    _, key = ApiToken.issue(user=intake, name="bench", scope=TokenScope.INTAKE)
    _, read_key = ApiToken.issue(user=reader, name="bench")
    return service.reference, key, read_key


def wait_until_serving(port: int, token: str, process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            if Client(port, token).request("GET", "/api/v1/events/?page_size=1")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


def run(port, token, body_of, per_request, clients, duration, warmup) -> dict:
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    start_at = time.monotonic() + warmup
    stop_at = start_at + duration

    def work():
        client = Client(port, token)
        while (now := time.monotonic()) < stop_at:
            body = body_of(next(counter))
            t0 = time.perf_counter()
            status, _ = client.request("POST", "/api/v1/events/", body)
            took = time.perf_counter() - t0
            if now >= start_at:
                with lock:
                    if status in (200, 201):
                        latencies.append(took)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors[0],
        "events_per_s": round(n * per_request / duration, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if n else None,
        "p95_ms": round(latencies[int(n * 0.95) - 1] * 1000, 1) if n else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--out")
    args = parser.parse_args()
    ensure_database(args.database_url, recreate=args.fresh)
    env = configure_environment(args.database_url)
    setup_django()
    service, key, read_key = prepare()
    from django.utils import timezone

    run_id = f"{time.time_ns()}"

    def event(n, severity="low", dedup=None):
        body = {"source": "monitoring_tool", "service": service, "alert_type": "BenchAlert",
                "severity": severity, "occurred_at": timezone.now().isoformat(),
                "event_id": f"bench-{run_id}-{n}", "summary": f"bench event {n}"}  # fmt: skip
        if dedup is not None:
            body["dedup_key"] = dedup
        return body

    def batch(n):
        return [event(f"{n}-{i}", "critical", f"bench-key-{i % args.keys}") for i in range(args.batch)]

    port = free_port()
    log = Path(tempfile.mkstemp(prefix="ims-bench-intake-", suffix=".log")[1])
    process = start_gunicorn(env, port, args.workers, 1, log)
    try:
        wait_until_serving(port, read_key, process)
        results = {
            "single": run(port, key, event, 1, args.clients, args.duration, args.warmup),
            "batch": run(port, key, batch, args.batch, args.clients, args.duration, args.warmup),
        }
    finally:
        stop(process)
    for name, r in results.items():
        print(f"{name:7s} {r['events_per_s']:>10} events/s  requests {r['requests']:>6}  errors {r['errors']}"
              f"  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms")  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
