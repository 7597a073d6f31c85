"""Time the SLA sweep with many open incidents of which 1,000 are due, on PostgreSQL.

    .venv/bin/python bench/sla_sweep.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/ims_bench_sla] \\
        [--open 10000 1000000] [--due 1000] [--runs 3] [--batch-size 200]

Creates the database if it does not exist and migrates it. For each size N of ``--open``
it empties the incident tables and COPYs N open, unassigned P3 incidents on a 24x7
business calendar (acknowledge target 4 h), built from a template whose deadline columns
come from the real ``incidents.sla.refresh_deadlines``:

- ``--due`` of them (spread evenly through the table) were logged 5 h before NOW, so their
  acknowledge warning (3 h) and breach (4 h) are past and ``sla_next_check_at`` is due;
- the rest were logged within the last hour: their first check (the warning at 3 h) is in
  the future.

Then it runs ``incidents.sweep.sla_sweep(now=NOW)`` ``--runs`` times, each on fresh due
rows (the due incidents and their SLA events are deleted and COPYed again before each run,
then the table is ANALYZEd), and prints per run the time, the actions performed (each due
incident gets a warning and an escalation to L1: 2 × ``--due``), the SQL statements the
sweep issued and the time spent in its due-row selections (SELECT … FOR UPDATE SKIP
LOCKED on ``sla_next_check_at``, the only query whose cost could grow with the number of
open incidents). The summary gives, for two or more sizes, the ratio of the largest
size's times to the smallest's: a sweep that scales with what is due, not with what is
open, has ratios near 1. Wall-clock times are noisy on a shared machine; the statement
counts are exact.

The audit trail (append-only) and the communications grow with every run; they are not
reset. Nothing here goes through the services for the load: it is test data written
with COPY; the sweep itself runs the product code unchanged.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402 - needs ROOT on sys.path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ims_bench_sla"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DATABASE_POOL"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Loader:
    """Writes incidents with COPY from two templates (due and not yet due)."""

    def __init__(self, now):
        from accounts.models import User
        from catalog.models import BusinessCalendar, Service
        from incidents.models import Incident
        from incidents.sla import refresh_deadlines

        self.now = now
        reporter, _ = User.objects.get_or_create(username="bench-reporter")
        service, _ = Service.objects.get_or_create(
            name="Bench service (24x7)", defaults={"calendar": BusinessCalendar.objects.get(name="24x7")}
        )
        self.fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.table = Incident._meta.db_table
        self.templates = {}
        for kind, logged in (("due", now - timedelta(hours=5)), ("future", now - timedelta(minutes=30))):
            template = Incident(
                title="Bench incident",
                description="Loaded by bench/sla_sweep.py",
                impact="medium",
                urgency="medium",
                priority="P3",
                reporter=reporter,
                affected_service=service,
                detected_at=logged,
                logged_at=logged,
            )
            refresh_deadlines(template)
            template.created_at = template.updated_at = logged
            values = [getattr(template, f.attname) for f in self.fields]
            moving = [
                i for i, f in enumerate(self.fields) if f.get_internal_type() == "DateTimeField" and values[i]
            ]
            self.templates[kind] = (values, moving)
        due_values, due_moving = self.templates["due"]
        check = self.columns.index("sla_next_check_at")
        assert due_values[check] < now, "the due template must be due"
        assert self.templates["future"][0][check] > now, "the future template must not be due"
        self.reference_column = self.columns.index("reference")

    def rows(self, numbers, due_every: int | None, only_due: bool = False):
        for n in numbers:
            is_due = due_every is not None and n % due_every == 0
            if only_due and not is_due:
                continue
            values, moving = self.templates["due" if is_due else "future"]
            row = list(values)
            shift = timedelta(seconds=n % 1800)  # spread logging times over half an hour
            for i in moving:
                row[i] = row[i] - shift
            row[self.reference_column] = f"INC-{n:07d}"
            yield row

    def copy(self, rows) -> int:
        from django.db import connection, transaction

        count = 0
        sql = f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count


def execute(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def load(loader: Loader, size: int, due: int) -> float:
    started = time.perf_counter()
    execute("TRUNCATE incidents_incident CASCADE")
    execute("TRUNCATE sla_slaevent")
    every = size // due
    loaded = loader.copy(loader.rows(range(1, size + 1), every))
    execute("VACUUM ANALYZE incidents_incident")
    elapsed = time.perf_counter() - started
    count_due = "SELECT count(*) FROM incidents_incident WHERE sla_next_check_at <= %s"
    [(due_rows,)] = execute(count_due, [loader.now])
    print(f"  loaded {loaded:,} open incidents ({due_rows:,} due) in {elapsed:.1f} s")
    assert due_rows == due, f"expected {due} due incidents, found {due_rows}"
    return elapsed


def reset_due(loader: Loader, size: int, due: int) -> None:
    every = size // due
    references = [f"INC-{n:07d}" for n in range(every, size + 1, every)][:due]
    execute("DELETE FROM sla_slaevent WHERE subject_ref = ANY(%s)", [references])
    execute("DELETE FROM incidents_incident WHERE reference = ANY(%s)", [references])
    loader.copy(loader.rows(range(every, size + 1, every), every, only_due=True))
    execute("ANALYZE incidents_incident")


def plan(now) -> str:
    rows = execute(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM incidents_incident WHERE sla_next_check_at <= %s "
        "ORDER BY sla_next_check_at LIMIT 200",
        [now],
    )
    return "\n".join("      " + r[0] for r in rows)


class QueryMeter:
    """Counts the sweep's SQL statements and times its due-row selections (the only query
    whose cost could grow with the number of open incidents)."""

    def __init__(self):
        self.statements = 0
        self.selection_seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements += 1
            if 'sla_next_check_at" <=' in sql and "FOR UPDATE" in sql:
                self.selection_seconds += time.perf_counter() - started


def bench(loader: Loader, size: int, due: int, runs: int, batch_size: int) -> dict:
    from django.db import connection

    from incidents.sweep import sla_sweep

    print(f"\n== {size:,} open incidents, {due:,} due ==")
    load_seconds = load(loader, size, due)
    print("  selection plan:\n" + plan(loader.now))
    times, actions, meters = [], None, []
    for run in range(1, runs + 1):
        if run > 1:
            reset_due(loader, size, due)
        meter = QueryMeter()
        with connection.execute_wrapper(meter):
            started = time.perf_counter()
            done = sla_sweep(now=loader.now, batch_size=batch_size)
            elapsed = time.perf_counter() - started
        total = sum(done.values())
        print(
            f"  run {run}: {elapsed:.2f} s, {total:,} actions {dict(sorted(done.items()))}, "
            f"{meter.statements:,} SQL statements, due-row selections {meter.selection_seconds * 1000:.1f} ms"
        )
        assert total == 2 * due, f"expected {2 * due} actions, got {total}"
        times.append(elapsed)
        meters.append(meter)
        actions = total
    best = min(times)
    meter = meters[times.index(best)]
    per_action = best / actions * 1000
    print(f"  best of {runs}: {best:.2f} s for {actions:,} actions ({per_action:.2f} ms per action)")
    return {
        "size": size,
        "best": best,
        "median": sorted(times)[len(times) // 2],
        "actions": actions,
        "load": load_seconds,
        "statements": meter.statements,
        "selection": min(m.selection_seconds for m in meters),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--open", type=int, nargs="+", default=[10_000, 1_000_000], help="open incidents")
    parser.add_argument("--due", type=int, default=1000, help="incidents with a check due")
    parser.add_argument("--runs", type=int, default=3, help="fresh sweeps per size; the best counts")
    parser.add_argument("--batch-size", type=int, default=200, help="the sweep's batch size")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    if any(size < args.due for size in args.open):
        parser.error("every --open size must be at least --due")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    loader = Loader(now)
    results = [bench(loader, size, args.due, args.runs, args.batch_size) for size in args.open]

    print("\n== summary ==")
    print(
        f"  {'open':>10}  {'load s':>7}  {'best s':>7}  {'median s':>8}  {'actions':>7}  "
        f"{'statements':>10}  {'selects ms':>10}"
    )
    for r in results:
        print(
            f"  {r['size']:>10,}  {r['load']:>7.1f}  {r['best']:>7.2f}  {r['median']:>8.2f}  "
            f"{r['actions']:>7,}  {r['statements']:>10,}  {r['selection'] * 1000:>10.1f}"
        )
    if len(results) > 1:
        small, large = min(results, key=lambda r: r["size"]), max(results, key=lambda r: r["size"])
        print(
            f"  ratio {large['size']:,} / {small['size']:,} open: "
            f"{large['best'] / small['best']:.2f}× the best sweep time, "
            f"{large['median'] / small['median']:.2f}× the median, "
            f"{large['selection'] / small['selection']:.2f}× the due-row selection time"
        )


if __name__ == "__main__":
    main()
