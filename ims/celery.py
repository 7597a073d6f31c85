"""The Celery app. Its beat schedule is static: periodic work is defined here, in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")

app = Celery("ims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 30.0, "args": ("beat",)},
    "sla-sweep": {"task": "incidents.tasks.sla_sweep", "schedule": 30.0, "options": {"expires": 25}},
    # what a tamperer may remove unseen is at most the events since the last checkpoint
    "audit-checkpoint": {
        "task": "audit.tasks.audit_checkpoint",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}
