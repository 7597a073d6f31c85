"""Time KB search with 10,000 and 100,000 published articles, on PostgreSQL.

    .venv/bin/python bench/kb_search.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/ims_bench_kb] \\
        [--sizes 10000 100000] [--queries 300] [--seed 14]

Creates the database if it does not exist and migrates it. For each size N it empties the
knowledge tables and COPYs N published articles, each with its version 1, written by a
seeded generator of support articles (a title such as "Outlook freezes after the update";
a body naming the symptom and cause, then 4 to 10 numbered steps with the article's own few
tools and objects, sometimes an error code or a host name from a long tail; the common
words far more often than the rare ones, as in real text). The search vectors are computed
by one UPDATE with the expression the services save (knowledge.search: title weight A, body
weight B, English), and the table is compacted (VACUUM FULL ANALYZE: that UPDATE left each
row's first version dead, which rows saved by the services never have).

Then it runs ``--queries`` searches: half single words, each drawn either as often as the
articles use it or uniformly from the words they use (so the commonest words and the long
tail both come up), half two words found together in one article. Each goes through what
the API's list runs: ``ArticleFilterSet`` with ``q`` over ``knowledge.selectors.article_rows``
for the caller, then the count of all matches and the first page of 50, as the API's
paginator reads them (websearch_to_tsquery, ts_rank, the GIN index; the rows' authors and
published versions prefetched). Once as a reader (an end user: the published versions'
vector) and once as staff (the working copies' vector). It prints p50, p95 and the slowest
in ms per size, caller and kind of query, with the matches per query (``--plan``: EXPLAIN
ANALYZE of the reader's search for the commonest word).

Nothing here goes through the services for the load: it is test data written with COPY;
the searches run the product code unchanged.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402 - needs ROOT on sys.path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ims_bench_kb"
PAGE = 50

# ---- the generator ---------------------------------------------------------------------
# fmt: off
SERVICES = (
    "Outlook", "Teams", "VPN", "Wi-Fi", "SharePoint", "OneDrive", "SAP", "Salesforce", "Jira", "Confluence",
    "printer", "scanner", "laptop", "docking station", "monitor", "headset", "badge reader", "SSO portal",
    "payroll", "HR portal", "CRM", "ERP", "data warehouse", "backup agent", "antivirus", "MFA app",
    "Citrix", "Zoom", "mail relay", "file share", "database", "load balancer", "DNS", "DHCP", "proxy",
    "firewall", "Kubernetes cluster", "CI pipeline", "artifact registry", "web shop", "call centre phones",
)
SYMPTOMS = (
    "freezes", "crashes", "is slow", "cannot connect", "drops the connection", "shows a blank page",
    "rejects the password", "times out", "loops at sign-in", "prints garbage", "loses settings",
    "fails to sync", "reports a certificate error", "returns error 500", "runs out of disk space",
    "stops responding", "sends duplicates", "shows the wrong time", "refuses the licence", "overheats",
)
CONTEXTS = (
    "after the update", "on Windows laptops", "on Macs", "for remote staff", "in the London office",
    "after a password change", "on the guest network", "at month end", "for new starters", "over VPN",
    "on mobile", "after the migration", "during backups", "for external users", "since Monday",
)
VERBS = (
    "restart", "reinstall", "clear", "renew", "reset", "update", "roll back", "disable", "enable", "check",
    "open", "close", "remove", "add", "export", "import", "rebuild", "flush", "rotate", "verify", "escalate",
    "reconnect", "unlock", "reassign", "resync", "repair", "reboot", "patch", "purge", "reindex",
)
OBJECTS = (
    "the client", "the cache", "the profile", "the certificate", "the lease", "the token", "the service",
    "the driver", "the firmware", "the mailbox", "the calendar", "the queue", "the credentials", "the agent",
    "the registry key", "the group policy", "the browser", "the plug-in", "the network adapter", "the proxy",
    "the DNS cache", "the spooler", "the licence", "the session", "the account", "the index", "the pod",
    "the node", "the volume", "the schedule", "the replica", "the connector", "the gateway", "the tunnel",
)
TOOLS = (
    "Control Panel", "the admin console", "PowerShell", "Terminal", "the service desk portal", "Intune",
    "the Azure portal", "kubectl", "the backup console", "Device Manager", "Event Viewer", "the MDM",
)
NOTES = (
    "Ask the user to save their work first.", "This affects only managed devices.",
    "If the problem persists, escalate to L2 with the log files.", "Do not delete the local data folder.",
    "The change window is Tuesday night.", "Known error, a permanent fix is tracked in the problem record.",
    "Check the monitoring dashboard for related alerts.", "Document the steps taken in the incident.",
    "Users on the old build must upgrade before this works.", "Expect a short outage while it restarts.",
)
CAUSES = (
    "an expired certificate", "a corrupt profile", "a full disk", "a stale DNS record",
    "a wrong proxy setting", "a locked account", "a failed update", "a duplicate IP address",
    "an exhausted connection pool", "a misconfigured group policy", "clock drift", "a revoked licence",
    "a memory leak", "a network loop",
)
SITES = ("lon", "par", "nyc", "sgp", "fra", "ams", "syd", "tor", "mad", "waw")
STOP = {"the", "a", "an", "on", "in", "of", "to", "is", "at", "for", "if", "do", "not", "be", "this", "with",
        "their", "first", "only", "before", "after", "since", "over", "during", "must", "works", "while"}
# fmt: on


def _zipf(items, rng):
    """A sampler of ``items`` where the k-th is drawn about 1/k as often as the first."""
    weights = [1 / (k + 1) for k in range(len(items))]
    shuffled = list(items)
    rng.shuffle(shuffled)
    return lambda: rng.choices(shuffled, weights)[0]


class Writer:
    """Support articles from a seeded generator: each about one service and symptom, with
    its own few tools and objects, and now and then an error code or a host name of the long
    tail (as real articles have), the common words far more often than the rare ones."""

    def __init__(self, seed: int):
        rng = self.rng = random.Random(seed)
        self.service, self.symptom = _zipf(SERVICES, rng), _zipf(SYMPTOMS, rng)
        self.context, self.verb = _zipf(CONTEXTS, rng), _zipf(VERBS, rng)
        self.note, self.cause = _zipf(NOTES, rng), _zipf(CAUSES, rng)
        self.tools, self.objects = TOOLS, OBJECTS
        codes = [f"0x{rng.randrange(16**8):08X}" for _ in range(3000)]
        hosts = [f"srv-{rng.choice(SITES)}-{rng.randrange(100):02d}" for _ in range(1000)]
        self.code, self.host = _zipf(codes, rng), _zipf(hosts, rng)

    def article(self) -> tuple[str, str, str]:
        rng = self.rng
        service, symptom = self.service(), self.symptom()
        title = f"{service[0].upper()}{service[1:]} {symptom} {self.context()}"
        kind = rng.choices(("resolution", "workaround", "prevention"), (6, 3, 1))[0]
        tools = rng.sample(self.tools, rng.randint(1, 2))
        objects = rng.sample(self.objects, rng.randint(2, 5))
        lines = [f"Symptom: the {service} {symptom}.", f"Cause: {self.cause()}."]
        if rng.random() < 0.4:
            lines.append(f"Users see error {self.code()} on {self.host()}.")
        for step in range(1, rng.randint(4, 10) + 1):
            where = f" of the {service}" if rng.random() < 0.3 else ""
            lines.append(f"{step}. In {rng.choice(tools)}, {self.verb()} {rng.choice(objects)}{where}.")
            if rng.random() < 0.15:
                lines.append(self.note())
        if rng.random() < 0.5:
            lines.append(f"Prevention: {self.verb()} {rng.choice(objects)} {self.context()}.")
        return title[:200], "\n".join(lines), kind


# ---- the database ----------------------------------------------------------------------
def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DATABASE_POOL"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def execute(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def people():
    from django.contrib.auth.models import Group

    from accounts.models import User

    made = {}
    for name, role in (
        ("bench-author", "l2"),
        ("bench-approver", "incident_manager"),
        ("bench-reader", "end_user"),
        ("bench-analyst", "service_desk"),
    ):
        user, _ = User.objects.get_or_create(username=name)
        user.groups.add(Group.objects.get(name=role))
        made[name] = User.objects.get(pk=user.pk)
    return made


def load(size: int, seed: int, users: dict) -> float:
    """Empty the KB and COPY ``size`` published articles (ids 1…size, version n = id n)."""
    from django.contrib.postgres.search import SearchVector
    from django.db import connection, transaction
    from django.utils import timezone

    from knowledge.models import Article, ArticleVersion
    from knowledge.search import CONFIG

    started = time.perf_counter()
    execute("TRUNCATE knowledge_article, knowledge_articleversion, knowledge_article_incidents CASCADE")
    writer = Writer(seed)
    now = timezone.now()
    author, approver = users["bench-author"].pk, users["bench-approver"].pk
    articles = (
        "id",
        "created_at",
        "updated_at",
        "reference",
        "title",
        "body",
        "type",
        "status",
        "version",
        "author_id",
        "editor_ids",
        "review_note",
        "published_number",
        "published_version_id",
        "published_at",
    )
    versions = (
        "id",
        "created_at",
        "updated_at",
        "article_id",
        "number",
        "title",
        "body",
        "type",
        "author_id",
        "approved_by_id",
        "published_at",
    )
    rows = [writer.article() for _ in range(size)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        with cursor.cursor.copy(f"COPY knowledge_article ({', '.join(articles)}) FROM STDIN") as copy:
            for n, (title, body, kind) in enumerate(rows, start=1):
                copy.write_row(
                    (
                        n,
                        now,
                        now,
                        f"KB-{n:06d}",
                        title,
                        body,
                        kind,
                        "published",
                        3,
                        author,
                        "[]",
                        "",
                        1,
                        n,
                        now,
                    )
                )
        with cursor.cursor.copy(f"COPY knowledge_articleversion ({', '.join(versions)}) FROM STDIN") as copy:
            for n, (title, body, kind) in enumerate(rows, start=1):
                copy.write_row((n, now, now, n, 1, title, body, kind, author, approver, now))
    for model in (Article, ArticleVersion):
        table = model._meta.db_table
        execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [size])
    execute(
        "INSERT INTO core_referencecounter (prefix, last_value) VALUES ('KB', %s) "
        "ON CONFLICT (prefix) DO UPDATE SET last_value = EXCLUDED.last_value",
        [size],
    )
    # the vector the services save (knowledge.search.vector), over the stored columns
    vector = SearchVector("title", weight="A", config=CONFIG) + SearchVector(
        "body", weight="B", config=CONFIG
    )
    Article.objects.update(search_vector=vector, published_search_vector=vector)
    # the UPDATE left every row's first version dead: compact the table as the services'
    # inserts (each saved with its vectors) would have left it
    execute("VACUUM FULL ANALYZE knowledge_article")
    execute("VACUUM ANALYZE knowledge_articleversion")
    return time.perf_counter() - started


# ---- the searches ----------------------------------------------------------------------
class Caller:
    """The list request of the API, minus HTTP: the FilterSet over article_rows, the count
    of its matches and its first page (what the API's paginator reads)."""

    def __init__(self, user):
        from types import SimpleNamespace

        self.user = user
        self.request = SimpleNamespace(user=user)

    def search(self, text: str) -> int:
        from django.core.paginator import Paginator

        from knowledge.filtersets import ArticleFilterSet
        from knowledge.selectors import article_rows

        rows = article_rows(self.user).order_by("-created_at", "-id")
        found = ArticleFilterSet({"q": text}, queryset=rows, request=self.request).qs
        paginator = Paginator(found, PAGE)
        page = list(paginator.page(1))
        assert len(page) == min(paginator.count, PAGE)
        return paginator.count


def queries(count: int, seed: int) -> list[str]:
    """Half single words, each drawn either as often as the articles use it (the common
    words) or uniformly from the words they use (the long tail: codes, hosts); half pairs of
    words found together in one article (what a searcher expects to find together)."""
    from collections import Counter

    from knowledge.search import words

    writer = Writer(seed + 1)
    articles = [
        [w for w in words(" ".join(writer.article()[:2])) if w not in STOP and len(w) > 2]
        for _ in range(3000)
    ]
    used = Counter(w for article in articles for w in article)
    common, distinct = list(used.elements()), sorted(used)
    rng = random.Random(seed)
    texts = [rng.choice(common) if rng.random() < 0.5 else rng.choice(distinct) for _ in range(count // 2)]
    while len(texts) < count:
        texts.append(" ".join(rng.sample(sorted(set(rng.choice(articles))), 2)))
    rng.shuffle(texts)
    return texts


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(caller: Caller, texts: list[str]) -> dict:
    for text in texts[:20]:  # warm the caches (and the plans) first
        caller.search(text)
    times, matches = {"word": [], "pair": []}, {"word": [], "pair": []}
    for text in texts:
        kind = "pair" if " " in text else "word"
        started = time.perf_counter()
        matches[kind].append(caller.search(text))
        times[kind].append((time.perf_counter() - started) * 1000)
    return {"times": times, "matches": matches}


def plan(caller: Caller, text: str) -> str:
    from knowledge.filtersets import ArticleFilterSet
    from knowledge.selectors import article_rows

    rows = article_rows(caller.user).order_by("-created_at", "-id")
    found = ArticleFilterSet({"q": text}, queryset=rows, request=caller.request).qs
    found = found[:PAGE]
    return "\n".join("      " + line for line in found.explain(analyze=True, buffers=True).splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="published articles")
    parser.add_argument("--queries", type=int, default=300, help="searches per size and caller")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--plan", action="store_true", help="EXPLAIN ANALYZE the commonest word's search")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    users = people()
    callers = {"reader": Caller(users["bench-reader"]), "staff": Caller(users["bench-analyst"])}
    texts = queries(args.queries, args.seed)
    summary = []
    for size in args.sizes:
        seconds = load(size, args.seed, users)
        print(f"\n== {size:,} published articles (loaded and indexed in {seconds:.1f} s) ==")
        for name, caller in callers.items():
            result = run(caller, texts)
            for kind in ("word", "pair"):
                ms, found = result["times"][kind], result["matches"][kind]
                row = (
                    size,
                    name,
                    kind,
                    len(ms),
                    statistics.median(ms),
                    percentile(ms, 95),
                    max(ms),
                    statistics.median(found),
                    max(found),
                )
                summary.append(row)
                print(
                    f"  {name:>6} {kind:>4}: {len(ms)} searches  p50 {row[4]:6.1f} ms  p95 {row[5]:6.1f} ms  "
                    f"max {row[6]:6.1f} ms  matches median {row[7]:,.0f}, max {row[8]:,}"
                )
        if args.plan:
            common = max(set(t for t in texts if " " not in t), key=texts.count)
            print(f"  plan of the reader's search for {common!r}:\n{plan(callers['reader'], common)}")

    print("\n== summary: the API list's search (the count and the first page of 50), ms ==")
    print(
        f"  {'articles':>9}  {'caller':>6}  {'query':>5}  {'n':>4}  {'p50':>7}  {'p95':>7}  {'max':>7}  "
        f"{'matches p50':>11}  {'matches max':>11}"
    )
    for size, name, kind, n, p50, p95, worst, median_found, most in summary:
        print(
            f"  {size:>9,}  {name:>6}  {kind:>5}  {n:>4}  {p50:>7.1f}  {p95:>7.1f}  {worst:>7.1f}  "
            f"{median_found:>11,.0f}  {most:>11,}"
        )


if __name__ == "__main__":
    main()
