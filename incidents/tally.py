"""Incident counts that do not grow with the table: the visibility buckets of
IncidentTally, kept exact by triggers in the database (PostgreSQL and SQLite), so every
writer is counted (the services, the admin, bulk loads, a restore) in the writer's own
transaction.

A SQLite table rebuild (some later ALTERs of incidents_incident) drops the table's
triggers; ``ensure_tally`` runs after every migrate, puts back what is missing and then
recounts, so a rebuild cannot leave the counts stale.
"""

from django.db import connection

from incidents.choices import Category

TABLE = "incidents_incident"
TALLY = "incidents_incidenttally"
BUCKETS = ("other", "security")
TRIGGERS = ("inc_tally_insert", "inc_tally_delete", "inc_tally_category")


def _bucket(row: str) -> str:
    return f"CASE WHEN {row}.category = '{Category.SECURITY}' THEN 'security' ELSE 'other' END"


_POSTGRES = f"""
CREATE OR REPLACE FUNCTION inc_tally_move(old_bucket text, new_bucket text) RETURNS void AS $$
BEGIN
    -- rows locked in one order (by bucket name), so two moves never wait on each other
    IF old_bucket IS NOT NULL AND (new_bucket IS NULL OR old_bucket < new_bucket) THEN
        UPDATE {TALLY} SET n = n - 1 WHERE bucket = old_bucket;
        old_bucket := NULL;
    END IF;
    IF new_bucket IS NOT NULL THEN
        INSERT INTO {TALLY} (bucket, n) VALUES (new_bucket, 1)
            ON CONFLICT (bucket) DO UPDATE SET n = {TALLY}.n + 1;
    END IF;
    IF old_bucket IS NOT NULL THEN
        UPDATE {TALLY} SET n = n - 1 WHERE bucket = old_bucket;
    END IF;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION inc_tally_row() RETURNS trigger AS $$
DECLARE
    old_bucket text := NULL;
    new_bucket text := NULL;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_bucket := ({_bucket("OLD")});
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        new_bucket := ({_bucket("NEW")});
    END IF;
    IF old_bucket IS DISTINCT FROM new_bucket THEN
        PERFORM inc_tally_move(old_bucket, new_bucket);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS inc_tally_insert ON {TABLE};
CREATE TRIGGER inc_tally_insert AFTER INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION inc_tally_row();
DROP TRIGGER IF EXISTS inc_tally_delete ON {TABLE};
CREATE TRIGGER inc_tally_delete AFTER DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION inc_tally_row();
DROP TRIGGER IF EXISTS inc_tally_category ON {TABLE};
CREATE TRIGGER inc_tally_category AFTER UPDATE OF category ON {TABLE}
    FOR EACH ROW WHEN (OLD.category IS DISTINCT FROM NEW.category) EXECUTE FUNCTION inc_tally_row();
"""

# SQLite: one writer at a time, so no lock order to keep
_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS inc_tally_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {TALLY} (bucket, n) VALUES ({_bucket("NEW")}, 1)
            ON CONFLICT (bucket) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS inc_tally_delete AFTER DELETE ON {TABLE} BEGIN
        UPDATE {TALLY} SET n = n - 1 WHERE bucket = {_bucket("OLD")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS inc_tally_category AFTER UPDATE OF category ON {TABLE}
        WHEN {_bucket("OLD")} <> {_bucket("NEW")} BEGIN
        UPDATE {TALLY} SET n = n - 1 WHERE bucket = {_bucket("OLD")};
        INSERT INTO {TALLY} (bucket, n) VALUES ({_bucket("NEW")}, 1)
            ON CONFLICT (bucket) DO UPDATE SET n = n + 1;
    END""",
]


def installed_triggers(using=connection) -> set[str]:
    with using.cursor() as cursor:
        if using.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return {name for (name,) in cursor.fetchall()} & set(TRIGGERS)


def recount(using=connection) -> None:
    """Set every bucket from a full count (under a lock on the table, so no writer is
    counted twice or missed)."""
    with using.cursor() as cursor:
        if using.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {TABLE} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {TALLY}")
        for bucket in BUCKETS:
            cursor.execute(
                f"INSERT INTO {TALLY} (bucket, n) SELECT %s, COUNT(*) FROM {TABLE} AS i WHERE "
                f"{_bucket('i')} = %s",
                [bucket, bucket],
            )


def ensure_tally(using=connection) -> bool:
    """Install the triggers that are missing and recount if any was; True if it did."""
    if installed_triggers(using) == set(TRIGGERS):
        return False
    with using.cursor() as cursor:
        if using.vendor == "postgresql":
            cursor.execute(_POSTGRES)
        else:
            for statement in _SQLITE:
                cursor.execute(statement)
    recount(using)
    return True


def tally() -> dict[str, int]:
    from incidents.models import IncidentTally

    counts = dict(IncidentTally.objects.values_list("bucket", "n"))
    return {bucket: counts.get(bucket, 0) for bucket in BUCKETS}
