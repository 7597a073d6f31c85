"""/healthz: the orchestrator's probe of the database and the broker (no auth).

Anonymous callers get the status only; people who may use the admin get the details."""

import socket
import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from core.health import check_database, health_cache_clear
from core.models import Heartbeat

# each check gives up after IMS_HEALTHZ_TIMEOUT (1 s); the two run side by side
TIME_BOUND = 1.8


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_health():
    health_cache_clear()
    cache.clear()  # the anonymous throttle's counters
    yield
    health_cache_clear()


@pytest.fixture
def silent_port():
    """A local TCP port that accepts connections (the kernel's backlog) and never answers:
    a hung server, which a refused connection does not exercise."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _point_broker_at(url, settings, monkeypatch):
    """Point settings and the Celery app at ``url``; returns the saved configuration.

    Celery reads the CELERY_BROKER_URL environment variable before its own configuration
    (``Settings.broker_url``), so the variable is pointed there as well.
    """
    from ims.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}
    settings.CELERY_BROKER_URL = url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {}
    assert app.conf.broker_url == url
    return saved


@pytest.fixture
def staff_client(make_user):
    client = Client()
    client.force_login(make_user("admin"))
    return client


@pytest.fixture
def broker_hung(settings, monkeypatch, silent_port):
    from ims.celery import app

    saved = _point_broker_at(f"redis://:s3cret@127.0.0.1:{silent_port}/0", settings, monkeypatch)
    try:
        yield
    finally:
        app.conf.update(saved)


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The broker at a closed port (connection refused); restored afterwards."""
    from ims.celery import app

    url = f"redis://:s3cret@127.0.0.1:{_closed_port()}/0"
    saved = _point_broker_at(url, settings, monkeypatch)
    try:
        yield url
    finally:
        app.conf.update(saved)


def test_healthy_for_staff_with_details(staff_client):
    response = staff_client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert "error" not in body["database"]
    assert body["broker"]["ok"] is True
    assert "error" not in body["broker"]
    assert body["broker"]["last_heartbeat"] is None
    assert datetime.fromisoformat(body["time"]).tzinfo is not None
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthy_for_anonymous_is_the_status_only(db):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"status", "time"}
    assert response.json()["status"] == "ok"


def test_reports_the_last_beat_heartbeat(staff_client):
    seen = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    Heartbeat.objects.create(name="beat", last_seen=seen)
    body = staff_client.get("/healthz").json()
    assert datetime.fromisoformat(body["broker"]["last_heartbeat"]) == seen


def test_broker_down_is_503_with_details_for_staff(staff_client, broker_down):
    started = time.perf_counter()
    response = staff_client.get("/healthz")
    assert time.perf_counter() - started < TIME_BOUND
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    # the broker's password never leaves the server
    assert "s3cret" not in response.content.decode()
    assert body["broker"]["url"] == "redis://***@" + broker_down.split("@", 1)[1]


def test_broker_down_anonymous_sees_no_url_error_or_timing(db, broker_down):
    started = time.perf_counter()
    response = Client().get("/healthz")
    elapsed = time.perf_counter() - started
    assert response.status_code == 503, response.content
    assert elapsed < TIME_BOUND, elapsed
    assert set(response.json()) == {"status", "time"}
    assert response.json()["status"] == "unavailable"
    text = response.content.decode()
    for leak in ("redis", "127.0.0.1", "refused", "ms", "s3cret"):
        assert leak not in text, leak


def test_hung_broker_is_answered_within_the_bound(staff_client, broker_hung):
    """The broker accepts the connection and never answers: the socket timeout ends it."""
    started = time.perf_counter()
    response = staff_client.get("/healthz")
    elapsed = time.perf_counter() - started
    assert response.status_code == 503, response.content
    assert elapsed < TIME_BOUND, elapsed
    broker = response.json()["broker"]
    assert broker["ok"] is False
    assert broker["error"]
    assert broker["ms"] < TIME_BOUND * 1000


def test_a_loop_of_callers_pays_one_check(db, broker_down):
    """Ten callers in a row within the cache window: one check, answered from memory."""
    started = time.perf_counter()
    statuses = [Client().get("/healthz").status_code for _ in range(10)]
    elapsed = time.perf_counter() - started
    assert statuses == [503] * 10
    assert elapsed < TIME_BOUND, elapsed


def test_concurrent_callers_wait_for_one_check(db, broker_hung):
    results = []

    def call():
        from django.db import connections

        try:
            results.append(Client().get("/healthz").status_code)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=call) for _ in range(4)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [503] * 4
    assert time.perf_counter() - started < TIME_BOUND


def test_result_is_kept_for_the_cache_window_then_checked_again(staff_client, settings):
    settings.IMS_HEALTHZ_CACHE_SECONDS = 0.2
    first = staff_client.get("/healthz").json()["database"]
    assert staff_client.get("/healthz").json()["database"] == first
    time.sleep(0.3)
    assert staff_client.get("/healthz").json()["database"] is not first


def test_anonymous_callers_are_throttled_per_address(db, settings):
    settings.IMS_THROTTLE_HEALTHZ = "3/minute"
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/healthz")
    assert response.status_code == 429
    assert response.json() == {"status": "rate_limited"}
    assert 0 < int(response["Retry-After"]) <= 60
    # another address has its own allowance
    assert Client(REMOTE_ADDR="203.0.113.8").get("/healthz").status_code == 200


def test_staff_are_not_throttled(staff_client, settings):
    settings.IMS_THROTTLE_HEALTHZ = "1/minute"
    assert [staff_client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]


def test_end_users_see_the_status_only(make_user):
    client = Client()
    client.force_login(make_user("end_user"))
    assert set(client.get("/healthz").json()) == {"status", "time"}


@pytest.mark.postgres
@pytest.mark.parametrize("pooled", [True, False])
def test_database_unreachable_is_reported_within_the_bound(silent_port, pooled):
    """A PostgreSQL server that accepts and never answers: connect_timeout or the pool's
    timeout ends the check (the default connection is left alone)."""
    from django.db import connections

    wrapper = connections.create_connection("default")
    wrapper.alias = "health_probe"
    wrapper.settings_dict = {**wrapper.settings_dict, "HOST": "127.0.0.1", "PORT": str(silent_port)}
    options = dict(wrapper.settings_dict.get("OPTIONS") or {})
    if pooled:
        options["pool"] = {"min_size": 0, "max_size": 1, "timeout": 10}
    else:
        options.pop("pool", None)
    wrapper.settings_dict["OPTIONS"] = options
    started = time.perf_counter()
    try:
        result = check_database(wrapper)
    finally:
        wrapper.close_pool()
    elapsed = time.perf_counter() - started
    assert result["ok"] is False
    assert result["error"]
    assert elapsed < TIME_BOUND, elapsed


def test_broker_comes_back_after_restore(db):
    """Runs after the broker_down test: the fixture restored the app's configuration."""
    assert Client().get("/healthz").status_code == 200


def test_only_get(db):
    assert Client().post("/healthz").status_code == 405
