"""What the benchmarks share: a PostgreSQL database of their own."""

import sys


def ensure_database(url: str, *, recreate: bool = False) -> None:
    """Create the database of ``url`` if missing (dropping it first with ``recreate``)."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("--database-url must be a PostgreSQL URL (postgres://…)")
    with psycopg.connect(
        dbname="postgres",
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        autocommit=True,
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if exists and recreate:
            admin.execute(f'DROP DATABASE "{cfg["NAME"]}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
            print(f"created database {cfg['NAME']}")
