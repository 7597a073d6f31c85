"""The broker's transport options as ims.settings computes them, in a fresh interpreter
(settings are read once, at import)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "from ims.celery import app; "
    "print(json.dumps({'options': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
    "'sweep': app.conf.beat_schedule['sla-sweep']['schedule'], "
    "'expires': app.conf.beat_schedule['sla-sweep']['options']['expires']}))"
)


def settings_in(tmp_path, **env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "IMS_"))}
    base.update(DJANGO_SETTINGS_MODULE="ims.settings", IMS_DATA_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_redis_redelivers_an_unacked_message_after_five_minutes_not_an_hour(tmp_path):
    values = settings_in(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert values["options"] == {"visibility_timeout": 300}
    # a sweep's message expires before the next tick, and long before any redelivery
    assert (values["sweep"], values["expires"]) == (30.0, 25.0)


def test_the_visibility_timeout_and_the_sweep_interval_come_from_the_environment(tmp_path):
    values = settings_in(
        tmp_path,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CELERY_BROKER_VISIBILITY_TIMEOUT="900",
        IMS_SLA_SWEEP_SECONDS="60",
    )
    assert values["options"] == {"visibility_timeout": 900}
    assert (values["sweep"], values["expires"]) == (60.0, 50.0)


def test_the_filesystem_broker_keeps_its_folders(tmp_path):
    values = settings_in(tmp_path, CELERY_BROKER_URL="filesystem://")
    assert "visibility_timeout" not in values["options"]
    assert values["options"]["data_folder_in"] == values["options"]["data_folder_out"]
    assert values["options"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
