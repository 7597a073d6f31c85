"""Time the SLA sweep with many open incidents of which 1,000 are due, on PostgreSQL.

    .venv/bin/python bench/sla_sweep.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/ims_bench_sla] \\
        [--open 10000 1000000] [--due 1000] [--runs 3] [--batch-size N]

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
then the table is ANALYZEd), in batches of ``--batch-size`` (default: the sweep's
BATCH_SIZE), and prints per run:

- the time, the actions performed (each due incident gets a warning and an escalation to
  L1: 2 × ``--due``) and actions per second;
- the SQL statements the sweep issued, in all and per action, and the time spent in its
  due-row selections (SELECT … FOR UPDATE SKIP LOCKED on ``sla_next_check_at``, the only
  query whose cost could grow with the number of open incidents);
- its batches: how many, and the longest from its due-row selection to its commit (what a
  person's operation waiting for one of its locks may wait), with how long of that the
  audit chain's lock was held;
- the CPU seconds of the sweep's process and of its database backend (read from /proc
  when the database runs on this machine): wall-clock times are noisy on a shared
  machine, CPU seconds much less so, and the statement counts are exact.

The summary gives the best run of each size and, for two or more sizes, the ratio of the
largest size's times to the smallest's: a sweep that scales with what is due, not with
what is open, has ratios near 1.

For reference (issue 18), on 2 cores shared with other work, runs of the two versions
taking turns: before the sweep ran in batches (a transaction per incident, the audit chain
locked and its head read per action, the row read again after each action), 2,000 actions
took 26–57 s at 10,000 open incidents and 22–25 s at 1,000,000, 13.0 statements per action,
18 s of the sweep's CPU and 8.5 s of the database's; in batches of 25, 9–17 s and 10–14 s,
5.6 statements per action, 6.4–8.6 s and 2.7–3.8 s of CPU.

The audit trail (append-only) and the communications grow with every run; they are not
reset. Nothing here goes through the services for the load: it is test data written
with COPY; the sweep itself runs the product code unchanged.
"""

import argparse
import os
import sys
import time
from contextlib import contextmanager
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
    """Counts the sweep's SQL statements, times its due-row selections (the only query whose
    cost could grow with the number of open incidents) and, per batch transaction (from
    its due-row selection to its commit), how long it held its locks and how long the audit
    chain's lock (taken by ``pg_advisory_xact_lock``)."""

    def __init__(self):
        self.statements = 0
        self.selection_seconds = 0.0
        self.batch_started = self.chain_locked = None
        self.batches: list[float] = []
        self.chain_holds: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements += 1
            if 'sla_next_check_at" <=' in sql and "FOR UPDATE" in sql:
                self.selection_seconds += time.perf_counter() - started
                if self.batch_started is None:
                    self.batch_started = started
            elif "pg_advisory_xact_lock" in sql and self.batch_started is not None:
                self.chain_locked = self.chain_locked or started

    def committed(self) -> None:
        ended = time.perf_counter()
        if self.batch_started is not None:
            self.batches.append(ended - self.batch_started)
        if self.chain_locked is not None:
            self.chain_holds.append(ended - self.chain_locked)
        self.batch_started = self.chain_locked = None


@contextmanager
def metered(connection):
    """The QueryMeter of the statements run on ``connection`` and of its commits."""
    meter = QueryMeter()
    commit = connection.commit

    def commit_and_note():
        commit()
        meter.committed()

    connection.commit = commit_and_note
    try:
        with connection.execute_wrapper(meter):
            yield meter
    finally:
        del connection.commit  # the instance attribute: back to the method


def cpu_seconds(connection) -> tuple[float, float | None]:
    """CPU seconds used so far by this process and by its database backend (when the
    database runs on this machine, from /proc): unlike wall-clock time, they hardly move
    when other work shares the cores."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(pid,)] = cursor.fetchall()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        backend = None
    return time.process_time(), backend


def bench(loader: Loader, size: int, due: int, runs: int, batch_size: int, tree: bool = False) -> dict:
    from django.db import connection

    from incidents.sweep import sla_sweep

    print(f"\n== {size:,} open incidents, {due:,} due ==")
    load_seconds = load(loader, size, due)
    print("  selection plan:\n" + plan(loader.now))
    results = []
    for run in range(1, runs + 1):
        if run > 1:
            reset_due(loader, size, due)
        cpu_before = cpu_seconds(connection)
        profiler = None
        if tree and run == runs:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        with metered(connection) as meter:
            started = time.perf_counter()
            done = sla_sweep(now=loader.now, batch_size=batch_size)
            elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            options = {"filter_threshold": 0.02}
            print(profiler.output_text(unicode=False, color=False, processor_options=options))
        cpu_after = cpu_seconds(connection)
        total = sum(done.values())
        assert total == 2 * due, f"expected {2 * due} actions, got {total}"
        result = {
            "seconds": elapsed,
            "actions": total,
            "statements": meter.statements,
            "selection": meter.selection_seconds,
            "batches": len(meter.batches),
            "longest_batch": max(meter.batches, default=0.0),
            "longest_chain_hold": max(meter.chain_holds, default=0.0),
            "app_cpu": cpu_after[0] - cpu_before[0],
            "db_cpu": None if cpu_before[1] is None else cpu_after[1] - cpu_before[1],
        }
        results.append(result)
        db_cpu = "n/a" if result["db_cpu"] is None else f"{result['db_cpu']:.2f} s"
        longest, chain = result["longest_batch"] * 1000, result["longest_chain_hold"] * 1000
        print(
            f"  run {run}: {elapsed:.2f} s, {total:,} actions {dict(sorted(done.items()))} "
            f"({total / elapsed:,.0f} actions/s), {meter.statements:,} SQL statements "
            f"({meter.statements / total:.2f} per action), due-row selections "
            f"{meter.selection_seconds * 1000:.1f} ms; {result['batches']} batches, the longest "
            f"{longest:.0f} ms (audit chain locked {chain:.0f} ms of it); "
            f"CPU: sweep {result['app_cpu']:.2f} s, database backend {db_cpu}"
        )
    best = min(results, key=lambda r: r["seconds"])
    per_action = best["seconds"] / best["actions"] * 1000
    print(
        f"  best of {runs}: {best['seconds']:.2f} s for {best['actions']:,} actions ({per_action:.2f} ms per "
        f"action, {best['actions'] / best['seconds']:,.0f} actions/s, "
        f"{best['statements'] / best['actions']:.2f} statements per action)"
    )
    return {
        "size": size,
        "load": load_seconds,
        "median": sorted(r["seconds"] for r in results)[len(results) // 2],
        "best": best,
        "selection": min(r["selection"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--open", type=int, nargs="+", default=[10_000, 1_000_000], help="open incidents")
    parser.add_argument("--due", type=int, default=1000, help="incidents with a check due")
    parser.add_argument("--runs", type=int, default=3, help="fresh sweeps per size; the best counts")
    parser.add_argument("--batch-size", type=int, help="the sweep's batch size (default: its BATCH_SIZE)")
    parser.add_argument("--tree", action="store_true", help="pyinstrument's call tree of the last run")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    if any(size < args.due for size in args.open):
        parser.error("every --open size must be at least --due")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.utils import timezone

    from incidents.sweep import BATCH_SIZE

    now = timezone.now().replace(microsecond=0)
    loader = Loader(now)
    batch_size = args.batch_size or BATCH_SIZE
    results = [bench(loader, size, args.due, args.runs, batch_size, args.tree) for size in args.open]

    print(f"\n== summary (best run of each size; batches of {batch_size}) ==")
    print(
        f"  {'open':>10}  {'load s':>7}  {'best s':>7}  {'median s':>8}  {'actions':>7}  {'actions/s':>9}  "
        f"{'stmts/action':>12}  {'batch ms':>8}  {'chain ms':>8}  {'cpu app s':>9}  {'cpu db s':>8}  "
        f"{'selects ms':>10}"
    )
    for r in results:
        b = r["best"]
        db_cpu = "n/a" if b["db_cpu"] is None else f"{b['db_cpu']:.2f}"
        rate, per_action = b["actions"] / b["seconds"], b["statements"] / b["actions"]
        longest, chain = b["longest_batch"] * 1000, b["longest_chain_hold"] * 1000
        print(
            f"  {r['size']:>10,}  {r['load']:>7.1f}  {b['seconds']:>7.2f}  {r['median']:>8.2f}  "
            f"{b['actions']:>7,}  {rate:>9,.0f}  {per_action:>12.2f}  {longest:>8.0f}  {chain:>8.0f}  "
            f"{b['app_cpu']:>9.2f}  {db_cpu:>8}  {r['selection'] * 1000:>10.1f}"
        )
    if len(results) > 1:
        small, large = min(results, key=lambda r: r["size"]), max(results, key=lambda r: r["size"])
        print(
            f"  ratio {large['size']:,} / {small['size']:,} open: "
            f"{large['best']['seconds'] / small['best']['seconds']:.2f}× the best sweep time, "
            f"{large['median'] / small['median']:.2f}× the median, "
            f"{large['selection'] / small['selection']:.2f}× the due-row selection time"
        )


if __name__ == "__main__":
    main()
