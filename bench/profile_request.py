"""Where one request's time goes: cProfile and the SQL of IMS's hot paths, in process.

    .venv/bin/python bench/profile_request.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ims_bench create list transition

Runs against a database bench/incident_api.py has loaded (it loads nothing itself), with
the same production-like environment, through Django's test client (the whole middleware
and DRF stack, a real ``Authorization: Token``, no sockets). For each scenario it makes
``--requests`` requests after ``--warmup`` unmeasured ones and prints:

- the SQL statements of one request, each with its time, and their count;
- the mean time per request in process, on the wall clock and in this process's CPU time
  (the application's own cost, which other load on the machine disturbs less);
- cProfile's top ``--top`` functions by cumulative and by own time, or with
  ``--tree`` pyinstrument's call tree (frames under 2 % of the time folded away).

Scenarios: ``create`` (POST /api/v1/incidents/), ``list`` (GET /api/v1/incidents/, the default
page), ``list50`` (``?page_size=50``), ``transition`` (POST …/diagnose/ on in-progress
incidents), ``assign`` (POST …/assign/: the analyst takes a service desk incident, then
hands it back), ``detail`` (GET …/{id}/); ``bare-create``, ``bare-list`` and ``bare-update``
are bench/bare_urls.py's endpoint, for comparison.
"""

import argparse
import cProfile
import io
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.incident_api import bench_actor, configure_environment, create_body, transition_pool  # noqa: E402

SCENARIOS = [
    "create",
    "list",
    "list50",
    "transition",
    "assign",
    "detail",
    "bare-create",
    "bare-list",
    "bare-update",
]


def requests_for(name: str, pool: list[str], services: list[str], desk_pool: list[str], analyst: str):
    """A function n -> (method, path, body) for scenario ``name``."""
    run = secrets.token_hex(3)

    def create(n):
        return "post", "/api/v1/incidents/", create_body(f"{run}-{n}", services[n % len(services)])

    return {
        "create": create,
        "list": lambda n: ("get", "/api/v1/incidents/", None),
        "list50": lambda n: ("get", "/api/v1/incidents/?page_size=50", None),
        "transition": lambda n: (
            "post",
            f"/api/v1/incidents/{pool[n % len(pool)]}/diagnose/",
            {"steps": f"Checked ({run}-{n})."},
        ),
        "assign": lambda n: (
            "post",
            f"/api/v1/incidents/{desk_pool[n % len(desk_pool)]}/assign/",
            {"team": "service_desk", "assignee": "" if (n // len(desk_pool)) % 2 else analyst},
        ),
        "detail": lambda n: ("get", f"/api/v1/incidents/{pool[n % len(pool)]}/", None),
        # the bare one-model endpoint of bench/bare_urls.py, for comparison
        "bare-create": lambda n: (
            "post",
            "/bench/bare/heartbeats/",
            {"name": f"profile-{run}-{n}", "last_seen": "2026-11-25T10:00:00Z"},
        ),
        "bare-list": lambda n: ("get", "/bench/bare/heartbeats/?page_size=50", None),
        "bare-update": lambda n: (
            "patch",
            f"/bench/bare/heartbeats/bench-{n % 2000:07d}/",
            {"last_seen": "2026-11-25T10:00:00Z"},
        ),
    }[name]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="+", choices=SCENARIOS)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ims_bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--tree", action="store_true", help="pyinstrument's call tree instead of cProfile")
    args = parser.parse_args()

    configure_environment(args.database_url)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Service

    analyst, token = bench_actor()
    pool, desk_pool = transition_pool(), transition_pool("service_desk")
    services = list(Service.objects.filter(is_active=True).values_list("reference", flat=True))
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", SERVER_NAME="127.0.0.1")

    def call(method, path, body):
        if body is None:
            return getattr(client, method)(path)
        return getattr(client, method)(path, data=body, content_type="application/json")

    counter = iter(range(10**9))
    for name in args.scenarios:
        make = requests_for(name, pool, services, desk_pool, analyst)
        for _ in range(args.warmup):
            call(*make(next(counter)))
        with CaptureQueriesContext(connection) as queries:
            response = call(*make(next(counter)))
        assert response.status_code in (200, 201), (response.status_code, response.content[:500])
        response.close()
        print(f"\n=== {name}: {len(queries)} SQL statements in one request")
        for query in queries.captured_queries:
            print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:160]}")
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            call(*make(next(counter)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"  {elapsed / args.requests * 1000:.2f} ms per request, {cpu / args.requests * 1000:.2f} ms of "
            "this process's CPU (in process, not profiled)"
        )
        if args.tree:
            from pyinstrument import Profiler

            tree = Profiler(interval=0.0005)
            tree.start()
            for _ in range(args.requests):
                call(*make(next(counter)))
            tree.stop()
            options = {"filter_threshold": 0.02}
            text = tree.output_text(
                unicode=False, color=False, time="percent_of_total", processor_options=options
            )
            print(text)
            continue
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call(*make(next(counter)))
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(f"--- top {args.top} by {order}")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip()
                            and not line.startswith(("   Ordered", "         "))))  # fmt: skip


if __name__ == "__main__":
    main()
