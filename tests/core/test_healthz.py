"""/healthz: the orchestrator's probe of the database and the broker (no auth)."""

import socket
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from core.models import Heartbeat


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Point settings and the Celery app at a closed port; restore both afterwards.

    Celery reads the CELERY_BROKER_URL environment variable before its own configuration
    (``Settings.broker_url``), so the variable is pointed there as well.
    """
    from ims.celery import app

    url = f"redis://:s3cret@127.0.0.1:{_closed_port()}/0"
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}
    settings.CELERY_BROKER_URL = url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {}
    try:
        assert app.conf.broker_url == url
        yield url
    finally:
        app.conf.update(saved)


def test_healthy(db):
    response = Client().get("/healthz")
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


def test_reports_the_last_beat_heartbeat(db):
    seen = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    Heartbeat.objects.create(name="beat", last_seen=seen)
    body = Client().get("/healthz").json()
    assert datetime.fromisoformat(body["broker"]["last_heartbeat"]) == seen


def test_broker_down_is_503(db, broker_down):
    response = Client().get("/healthz")
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    # the broker's password never leaves the server
    assert "s3cret" not in response.content.decode()
    assert body["broker"]["url"] == "redis://***@" + broker_down.split("@", 1)[1]


def test_broker_comes_back_after_restore(db):
    """Runs after the broker_down test: the fixture restored the app's configuration."""
    assert Client().get("/healthz").status_code == 200


def test_only_get(db):
    assert Client().post("/healthz").status_code == 405
