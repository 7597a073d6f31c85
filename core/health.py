"""The checks behind /healthz: the database and the broker, each bounded in time, and the
result kept for a few seconds so a loop of callers costs one check, not one each.

The result is kept in this process's memory, not in the configured cache: the cache is
Redis in production, and a probe of a Redis outage must not wait on Redis."""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection as default_connection

from core.models import Heartbeat


def _timeout() -> float:
    return float(getattr(settings, "IMS_HEALTHZ_TIMEOUT", 1.0))


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _select_one(database, params) -> dict:
    try:
        with database.connect(**params) as conn:
            conn.execute("SELECT 1").fetchone()
    except Exception as exc:  # noqa: BLE001 - reported by the caller
        return {"ok": False, "error": str(exc) or exc.__class__.__name__}
    return {"ok": True}


def check_database(connection=default_connection) -> dict:
    """``SELECT 1`` within the time bound. On PostgreSQL the connection is taken from the
    pool with that timeout (an exhausted or unreachable pool is "down"), or opened with
    ``connect_timeout``; never through Django's request connection, whose waits are longer."""
    timeout = _timeout()
    started = time.perf_counter()
    error = None
    try:
        if connection.vendor == "postgresql":
            if connection.pool is not None:
                with connection.pool.connection(timeout=timeout) as conn:
                    conn.execute("SELECT 1").fetchone()
            else:
                # libpq rounds connect_timeout up to 2 s: wait for the attempt in a thread
                params = {**connection.get_connection_params(), "connect_timeout": 2}
                answer = _in_thread(lambda: _select_one(connection.Database, params), limit=timeout)()
                if not answer["ok"]:
                    raise ConnectionError(answer["error"])
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        error = str(exc) or exc.__class__.__name__
    result = {"ok": error is None, "vendor": connection.vendor, "ms": _elapsed_ms(started)}
    if error:
        result["error"] = error
    return result


def check_broker() -> dict:
    """Connect to the broker once, no retries, with connect and socket timeouts."""
    from ims.celery import app

    timeout = _timeout()
    started = time.perf_counter()
    error = None
    try:
        base = app.connection_for_write()
        options = {**base.transport_options, "socket_timeout": timeout, "socket_connect_timeout": timeout}
        with base.clone(connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
            if conn.transport.driver_type == "redis":
                conn.default_channel.client.ping()
        base.release()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        error = str(exc) or exc.__class__.__name__
    result = {"ok": error is None, "url": redact(app.conf.broker_url or ""), "ms": _elapsed_ms(started)}
    if error:
        result["error"] = error
    return result


def last_beat() -> str | None:
    beat = Heartbeat.objects.filter(name="beat").first()
    return beat.last_seen.isoformat() if beat else None


def _in_thread(check, *, limit: float):
    """Start ``check`` in a thread; the returned callable waits at most ``limit`` seconds
    for its result (a check that hangs past its own timeouts is reported, not awaited)."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", check()), daemon=True)
    started = time.perf_counter()
    thread.start()

    def result() -> dict:
        thread.join(max(0.0, limit - (time.perf_counter() - started)))
        if "result" in box:
            return box["result"]
        return {"ok": False, "ms": _elapsed_ms(started), "error": f"no answer within {limit:.1f} s"}

    return result


@dataclass
class _Kept:
    at: float
    report: dict


_lock = threading.Lock()
_kept: _Kept | None = None


def health_report() -> dict:
    """``{"ok", "database": {...}, "broker": {...}, "checked_at"}``, at most
    ``IMS_HEALTHZ_CACHE_SECONDS`` old. Concurrent callers in this process wait for one check."""
    global _kept
    ttl = float(getattr(settings, "IMS_HEALTHZ_CACHE_SECONDS", 5))
    with _lock:
        if _kept is not None and time.monotonic() - _kept.at < ttl:
            return _kept.report
        broker = _in_thread(check_broker, limit=_timeout() + 0.5)
        database = check_database()
        broker = broker()
        if database["ok"]:
            try:
                broker["last_heartbeat"] = last_beat()
            except Exception:  # noqa: BLE001 - the database check already passed; a race
                broker["last_heartbeat"] = None
        report = {"ok": database["ok"] and broker["ok"], "database": database, "broker": broker}
        _kept = _Kept(at=time.monotonic(), report=report)
        return report


def health_cache_clear() -> None:
    global _kept
    with _lock:
        _kept = None
