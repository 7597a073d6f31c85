"""Throughput and latency of the incident API over HTTP, against a bare DRF endpoint.

    .venv/bin/python bench/incident_api.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ims_bench --incidents 100000

What it does:

1. creates the PostgreSQL database if it does not exist (``--fresh`` drops it first) and
   migrates it, with DJANGO_SETTINGS_MODULE=bench.settings (IMS's settings plus the bare
   endpoint of bench/bare_urls.py), DJANGO_DEBUG=false and a throwaway secret key;
2. once, bulk-loads ``--incidents`` incidents (bulk_create, references INC-000001…, spread
   over a year, mostly closed, each with its hash-chained ``identify`` audit event and SLA
   deadlines) and as many core.Heartbeat rows for the bare endpoint, and sets
   core.models.ReferenceCounter after them. This bypasses the services: it is fixture
   loading only; everything measured goes through the real API;
3. starts ``gunicorn ims.wsgi -w <workers> -b 127.0.0.1:<free port>`` (``--threads`` > 1
   switches to the gthread worker, which keeps connections alive; the default sync worker
   closes each one, and the clients then reconnect);
4. runs each scenario for ``--duration`` seconds (after ``--warmup``) with ``--clients``
   threads, each its own http.client connection (keep-alive requested) and a real
   ``Authorization: Token`` of a service desk analyst (accounts.models.ApiToken.issue):

       create      POST /api/v1/incidents/               vs  POST  /bench/bare/heartbeats/
       list        GET  /api/v1/incidents/?page_size=50  vs  GET   /bench/bare/heartbeats/?page_size=50
       transition  POST /api/v1/incidents/{id}/diagnose/ vs  PATCH /bench/bare/heartbeats/{name}/
                   (on 2,000 different in-progress incidents / heartbeat rows, round robin)
       assign      POST /api/v1/incidents/{id}/assign/   vs  PATCH /bench/bare/heartbeats/{name}/
                   (the analyst takes a service desk incident, then hands it back, in turns)

   The plain list's ``count`` comes from the incident tallies; the bare list counts its
   table, as DRF does;

5. with ``--memory-requests N``, makes N more requests (list, detail, diagnose in turn) and
   prints each gunicorn worker's RSS ten times along the way;
6. prints requests/s, p50 and p95 latency (ms, measured by the client, connection set-up
   included) for both, and their ratio; ``--out FILE`` also writes them as JSON.

The run leaves its rows (incidents created by the scenarios included) in the bench
database; ``--fresh`` starts again from an empty one. Never point it at a real database.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402 - needs ROOT on sys.path

BATCH = 5000
POOL = 2000  # incidents / heartbeats the transition scenarios cycle through
HOST = "127.0.0.1"
WORDS = (
    "mail VPN printer laptop login payroll portal wifi slow error timeout crash sync disk "
    "badge scanner invoice backup phone monitor licence certificate queue"
).split()


# ---- environment and database ------------------------------------------------------------
def configure_environment(url: str) -> dict:
    """The environment of this process and of gunicorn: production-like, bench URLs."""
    env = {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "IMS_AUDIT_KEY": secrets.token_urlsafe(48),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "IMS_THROTTLE_USER": "10000000/minute",
        "IMS_THROTTLE_ANON": "10000000/minute",
        "LOG_LEVEL": "WARNING",
        # production needs a shared cache for the rate limits; the bench's own Redis database
        "CACHE_URL": os.environ.get("IMS_BENCH_CACHE_URL", "redis://127.0.0.1:6379/8"),
    }
    os.environ.update(env)
    return dict(os.environ)


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# ---- fixture load (bypasses the services on purpose) -------------------------------------
def load(count: int) -> None:
    from core.models import Heartbeat
    from incidents.models import Incident

    have = Incident.objects.count()
    if have >= count:
        print(f"{have} incidents already loaded")
    elif have:
        sys.exit(f"{have} incidents present, fewer than {count}: run with --fresh")
    else:
        started = time.perf_counter()
        bulk_load_incidents(count)
        print(f"loaded {count} incidents in {time.perf_counter() - started:.0f} s")
    if Heartbeat.objects.filter(name__startswith="bench-").count() < count:
        from django.utils import timezone

        now = timezone.now()
        for start in range(0, count, BATCH * 4):
            Heartbeat.objects.bulk_create(
                [
                    Heartbeat(name=f"bench-{n:07d}", last_seen=now)
                    for n in range(start, min(start + BATCH * 4, count))
                ],
                ignore_conflicts=True,
            )
        print(f"loaded {count} heartbeat rows")


def bulk_load_incidents(count: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Team, User
    from audit.services import append_events, build_event
    from catalog.models import Service
    from core.models import ReferenceCounter
    from incidents.choices import PRIORITY_MATRIX
    from incidents.models import Incident
    from sla.services import sla_policy_current, sla_targets

    rng = random.Random(20261125)
    now = timezone.now()
    group = Group.objects.get(name="end_user")
    reporters = User.objects.bulk_create([User(username=f"bench-reporter-{n:03d}") for n in range(300)])
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in reporters]
    )
    services = [Service.objects.get_or_create(name=f"Bench service {n:02d}")[0] for n in range(20)]
    teams = list(Team.objects.filter(code__in=["service_desk", "L1", "L2", "L3", "facilities", "devops"]))
    policy = sla_policy_current()
    targets = sla_targets(policy) if policy else {}
    levels = ("low", "medium", "high")
    created_at = Incident._meta.get_field("created_at")
    created_at.auto_now_add = False  # keep the spread-out creation times
    try:
        for start in range(0, count, BATCH):
            batch = []
            for n in range(start + 1, min(start + BATCH, count) + 1):
                logged = now - timedelta(minutes=365 * 24 * 60 * (count - n) / count + rng.randint(0, 120))
                recent = now - logged < timedelta(days=7)
                status = rng.choices(
                    ["open", "in_progress", "escalated", "pending_vendor", "resolved", "closed"],
                    [15, 45, 10, 5, 15, 10] if recent else [1, 3, 1, 0, 2, 93],
                )[0]
                impact, urgency = rng.choice(levels), rng.choice(levels)
                priority = PRIORITY_MATRIX[(impact, urgency)]
                target = targets.get(priority)
                team = None if status == "open" else rng.choice(teams)
                resolved = (
                    logged + timedelta(hours=rng.randint(1, 72)) if status in ("resolved", "closed") else None
                )
                ack_due = logged + timedelta(minutes=target.acknowledge_minutes) if target else None
                resolve_due = logged + timedelta(minutes=target.resolve_minutes) if target else None
                batch.append(
                    Incident(
                        reference=f"INC-{n:06d}",
                        title=" ".join(rng.choice(WORDS) for _ in range(3)).capitalize() + f" {n}",
                        description="Loaded by bench/incident_api.py. " * rng.randint(1, 5),
                        category="security"
                        if rng.random() < 0.03
                        else rng.choice(["hardware", "software", "network", "performance", "other"]),
                        impact=impact,
                        urgency=urgency,
                        priority=priority,
                        status=status,
                        reporter=rng.choice(reporters),
                        affected_service=rng.choice(services),
                        assigned_team=team,
                        detected_at=logged,
                        logged_at=logged,
                        created_at=logged,
                        acknowledged_at=logged + timedelta(minutes=rng.randint(2, 90)) if team else None,
                        resolved_at=resolved,
                        closed_at=resolved + timedelta(days=1) if status == "closed" else None,
                        resolution_summary="Fixed." if resolved else "",
                        service_restored=bool(resolved),
                        closure_notes="Confirmed." if status == "closed" else "",
                        sla_policy=policy,
                        acknowledge_due_at=ack_due,
                        resolve_due_at=None if status == "pending_vendor" else resolve_due,
                        paused_since=logged if status == "pending_vendor" else None,
                        version=1 + bool(team) + bool(resolved) + (status == "closed"),
                    )
                )
            with transaction.atomic():
                Incident.objects.bulk_create(batch)
                append_events(  # chained by the trail's own writer, one lock per batch
                    [
                        build_event(
                            action="identify",
                            obj=inc,
                            actor=inc.reporter,
                            changes={"status": [None, "open"], "title": [None, inc.title]},
                            at=inc.logged_at,
                        )
                        for inc in batch
                    ]
                )
            print(f"  {start + len(batch):>7} incidents", end="\r", flush=True)
        print()
    finally:
        created_at.auto_now_add = True
    ReferenceCounter.objects.update_or_create(prefix="INC", defaults={"last_value": count})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def bench_actor() -> tuple[str, str]:
    """A service desk analyst and a fresh token for it."""
    from django.contrib.auth.models import Group

    from accounts.models import ApiToken, Team, User

    user, _ = User.objects.get_or_create(username="bench-analyst")
    user.groups.add(Group.objects.get(name="service_desk"))
    Team.objects.get(code="service_desk").members.add(user)
    _, key = ApiToken.issue(user=user, name="bench/incident_api.py")
    return user.username, key


def transition_pool(team: str | None = None) -> list[str]:
    """In-progress incidents the bench analyst may work (of ``team`` if given)."""
    from incidents.models import Incident

    rows = Incident.objects.filter(status="in_progress").exclude(category="security")
    if team:
        rows = rows.filter(assigned_team__code=team)
    refs = list(rows.order_by("-id").values_list("reference", flat=True)[:POOL])
    if team:  # the assign scenario starts from no assignee, whatever an earlier run left
        Incident.objects.filter(reference__in=refs).update(assignee=None)
    if len(refs) < 10:
        sys.exit("too few in-progress incidents for the transition scenario; load more (--incidents)")
    return refs


# ---- server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "ims.wsgi", "-w", str(workers), "-b", f"{HOST}:{port}"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    command += ["--error-logfile", str(log_path), "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    print("started", " ".join(command[1:6]), f"(pid {process.pid})")
    return process


def wait_until_serving(port: int, token: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            status, _ = Client(port, token).request("GET", "/bench/bare/heartbeats/?page_size=1")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer within 60 s:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- clients -------------------------------------------------------------------------------
class Client:
    """One keep-alive HTTP connection; reconnects when the server closes it."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.connection.close()
                self.connection = None
            return response.status, payload
        raise AssertionError("unreachable")


def create_body(tag: str, service: str) -> dict:
    """A new incident's body: a random title (made unique by ``tag``) on ``service``."""
    return {
        "title": " ".join(random.choice(WORDS) for _ in range(3)).capitalize() + f" {tag}",
        "description": "Reported through bench/.",
        "category": random.choice(["hardware", "software", "network", "performance"]),
        "impact": random.choice(["low", "medium", "high"]),
        "urgency": random.choice(["low", "medium"]),
        "affected_service": service,
    }


class _Taken:
    """Whether the analyst holds each incident of the assign scenario: take it if not, else
    hand it back (every incident of the pool starts with no assignee)."""

    def __init__(self, analyst: str):
        self.analyst, self.held, self.lock = analyst, set(), threading.Lock()

    def toggle(self, reference: str) -> str:
        with self.lock:
            if reference in self.held:
                self.held.discard(reference)
                return ""
            self.held.add(reference)
            return self.analyst


def scenarios(pool: list[str], services: list[str], rows: int, desk_pool: list[str], analyst: str):
    """({name: {"incident": (method, path fn, body fn, ok status), "bare": (…)}}, a counter)"""
    counter = iter(range(10**9))
    lock = threading.Lock()

    def nxt() -> int:
        with lock:
            return next(counter)

    run = secrets.token_hex(3)
    taken = _Taken(analyst)
    bare_update = (
        "PATCH",
        lambda n: f"/bench/bare/heartbeats/bench-{n % min(POOL, rows):07d}/",
        lambda n: {"last_seen": "2026-11-25T10:00:00Z"},
        200,
    )
    return {
        "create": {
            "incident": (
                "POST",
                lambda n: "/api/v1/incidents/",
                lambda n: create_body(f"{run}-{n}", services[n % len(services)]),
                201,
            ),
            "bare": (
                "POST",
                lambda n: "/bench/bare/heartbeats/",
                lambda n: {"name": f"run-{run}-{n}", "last_seen": "2026-11-25T10:00:00Z"},
                201,
            ),
        },
        "list": {
            "incident": ("GET", lambda n: "/api/v1/incidents/?page_size=50", lambda n: None, 200),
            "bare": ("GET", lambda n: "/bench/bare/heartbeats/?page_size=50", lambda n: None, 200),
        },
        "assign": {
            # the service desk's own incidents, taken by the analyst and handed back, in turns
            "incident": (
                "POST",
                lambda n: f"/api/v1/incidents/{desk_pool[n % len(desk_pool)]}/assign/",
                lambda n: {"team": "service_desk", "assignee": taken.toggle(desk_pool[n % len(desk_pool)])},
                200,
            ),
            "bare": bare_update,
        },
        "transition": {
            "incident": (
                "POST",
                lambda n: f"/api/v1/incidents/{pool[n % len(pool)]}/diagnose/",
                lambda n: {"steps": f"Checked the logs ({run}-{n})."},
                200,
            ),
            "bare": bare_update,
        },
    }, nxt


def measure(port: int, token: str, spec: tuple, next_number, clients: int, duration: float, warmup: float):
    method, path_for, body_for, ok_status = spec
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + duration
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]

    def work(index: int) -> None:
        client = Client(port, token)
        while True:
            began = time.monotonic()
            if began >= stop_at:
                return
            n = next_number()
            t0 = time.perf_counter()
            try:
                status, payload = client.request(method, path_for(n), body_for(n))
            except OSError as exc:
                status, payload = 0, str(exc).encode()
            elapsed = (time.perf_counter() - t0) * 1000
            if began >= measure_from:
                latencies[index].append(elapsed)
                if status != ok_status:
                    errors[index].append(f"{status} {payload[:200]!r}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = sorted(t for per in latencies for t in per)
    failed = [e for per in errors for e in per]
    if not times:
        return {"requests": 0, "rps": 0.0, "p50_ms": None, "p95_ms": None, "errors": len(failed)}
    return {
        "requests": len(times),
        "rps": len(times) / duration,
        "p50_ms": statistics.median(times),
        "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
        "errors": len(failed),
        "first_error": failed[0] if failed else None,
    }


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident set size of each gunicorn worker (the master's children), in MB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in sorted(children, key=int):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def measure_memory(port: int, token: str, master_pid: int, pool: list[str], count: int):
    """[(requests so far, [RSS per worker])], sampled ten times over ``count`` requests."""
    client, samples = Client(port, token), [(0, worker_rss_mb(master_pid))]
    for n in range(1, count + 1):
        ref = pool[n % len(pool)]
        kind = n % 3
        if kind == 0:
            client.request("GET", "/api/v1/incidents/")
        elif kind == 1:
            client.request("GET", f"/api/v1/incidents/{ref}/")
        else:
            client.request("POST", f"/api/v1/incidents/{ref}/diagnose/", {"steps": f"Memory check {n}."})
        if n % max(1, count // 10) == 0:
            samples.append((n, worker_rss_mb(master_pid)))
    return samples


def print_table(results: dict, args, started_load: tuple) -> None:
    print()
    print(
        f"{args.incidents} incidents · gunicorn -w {args.workers}"
        + (f" gthread×{args.threads}" if args.threads > 1 else " (sync)")
        + f" · {args.clients} clients · {args.duration:g} s per scenario · {os.cpu_count()} CPUs"
        + " · load average before: {:.2f} {:.2f} {:.2f}".format(*started_load)
    )
    head = (
        f"{'scenario':<11} {'endpoint':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}   "
        f"{'bare/incident req/s':>19} {'incident/bare p50':>17}"
    )
    print(head)
    print("-" * len(head))
    for name, pair in results.items():
        inc, bare = pair["incident"], pair["bare"]
        for label, row in (("incident", inc), ("bare", bare)):
            p50 = f"{row['p50_ms']:.1f}" if row["p50_ms"] is not None else "-"
            p95 = f"{row['p95_ms']:.1f}" if row["p95_ms"] is not None else "-"
            scenario = name if label == "incident" else ""
            line = f"{scenario:<11} {label:<9} {row['rps']:>8.1f} {p50:>8} {p95:>8} {row['errors']:>7}"
            if label == "bare" and inc["rps"] and inc["p50_ms"] and bare["p50_ms"]:
                line += f"   {bare['rps'] / inc['rps']:>18.1f}× {inc['p50_ms'] / bare['p50_ms']:>16.1f}×"
            print(line)
        for label, row in (("incident", inc), ("bare", bare)):
            if row.get("first_error"):
                print(f"    first {label} error: {row['first_error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", required=True, help="PostgreSQL URL of the (throwaway) bench database"
    )
    parser.add_argument(
        "--incidents", type=int, default=100_000, help="incidents to bulk-load (default 100000)"
    )
    parser.add_argument(
        "--duration", type=float, default=15.0, help="measured seconds per scenario (default 15)"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first (default 3)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker; >1: gthread")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument(
        "--only", choices=["create", "list", "transition", "assign"], action="append", help="scenarios"
    )
    parser.add_argument(
        "--memory-requests", type=int, default=0,
        help="then this many more requests (list, detail, diagnose in turn) with the workers' RSS sampled",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    env = configure_environment(args.database_url)
    ensure_database(args.database_url, recreate=args.fresh)
    setup_django()
    load(args.incidents)
    username, token = bench_actor()
    pool = transition_pool()
    desk_pool = transition_pool("service_desk")
    from catalog.models import Service

    services = list(
        Service.objects.filter(name__startswith="Bench service").values_list("reference", flat=True)
    )
    from django.db import connections

    connections.close_all()

    port = args.port or free_port()
    log_path = Path(tempfile.mkdtemp(prefix="ims-bench-")) / "gunicorn.log"
    load_before = os.getloadavg()
    process = start_gunicorn(env, port, args.workers, args.threads, log_path)
    results = {}
    try:
        wait_until_serving(port, token, process, log_path)
        specs, next_number = scenarios(pool, services, args.incidents, desk_pool, username)
        for name, pair in specs.items():
            if args.only and name not in args.only:
                continue
            results[name] = {}
            for label in ("incident", "bare"):
                results[name][label] = measure(
                    port, token, pair[label], next_number, args.clients, args.duration, args.warmup
                )
                row = results[name][label]
                print(f"  {name:<10} {label:<8} {row['rps']:8.1f} req/s  p50 {row['p50_ms'] or 0:.1f} ms")
        if args.memory_requests:
            memory = measure_memory(port, token, process.pid, pool, args.memory_requests)
    finally:
        stop(process)
    print_table(results, args, load_before)
    if args.memory_requests:
        print(f"\nworker RSS (MB) after n of {args.memory_requests} more requests (list, detail, diagnose):")
        for n, sizes in memory:
            print(f"  {n:>7}  " + "  ".join(f"{mb:7.1f}" for mb in sizes))
        results["memory_rss_mb"] = memory
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2)
        )
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
