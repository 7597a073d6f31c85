"""A real Celery worker consumes from the configured broker and writes to the test database.

Not eager mode: the task is published to the broker (Redis in CI, via CELERY_BROKER_URL),
consumed by an embedded worker thread and run against the database of the test.
"""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from core.models import Heartbeat
from core.tasks import heartbeat
from ims.celery import app

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def test_worker_runs_heartbeat_on_the_broker():
    assert not app.conf.task_always_eager
    # A name of this run only: a message left in the broker by an earlier run cannot pass it.
    name = f"test-{uuid.uuid4().hex[:12]}"
    assert not Heartbeat.objects.filter(name=name).exists()
    sent_at = timezone.now()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        heartbeat.delay(name)
        row = _wait_for(lambda: Heartbeat.objects.filter(name=name).first())
    assert row is not None, f"no worker wrote Heartbeat {name!r} within 20 s (broker {app.conf.broker_url})"
    assert row.last_seen >= sent_at
