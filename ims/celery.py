"""The Celery app. Its beat schedule is static: periodic work is defined here, in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")

app = Celery("ims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How often beat sweeps SLA deadlines. A sweep interrupted (worker killed, broker lost) is
# not redelivered in time to matter: the next tick sweeps whatever is still due, so this is
# also the longest an automatic action waits after a fault. Its message expires before the
# next tick, so sweeps never queue up behind a stopped worker.
SLA_SWEEP_SECONDS = float(os.environ.get("IMS_SLA_SWEEP_SECONDS", "30"))

app.conf.beat_schedule = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 30.0, "args": ("beat",)},
    "sla-sweep": {
        "task": "incidents.tasks.sla_sweep",
        "schedule": SLA_SWEEP_SECONDS,
        "options": {"expires": SLA_SWEEP_SECONDS * 5 / 6},
    },
    # overdue PIR action items: their owners and the incident managers reminded once each
    "reviews-chase": {
        "task": "reviews.tasks.action_items_chase",
        "schedule": 900.0,
        "options": {"expires": 850},
    },
    # what a tamperer may remove unseen is at most the events since the last checkpoint
    "audit-checkpoint": {
        "task": "audit.tasks.audit_checkpoint",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

# The outbox (communications/outbox.py): each commit enqueues a drain; this one delivers what a
# lost message, a broker outage or a killed worker left due, and the retries once backed off.
OUTBOX_DRAIN_SECONDS = float(os.environ.get("IMS_OUTBOX_DRAIN_SECONDS", "30"))
app.conf.beat_schedule["outbox-drain"] = {
    "task": "communications.tasks.deliveries_drain",
    "schedule": OUTBOX_DRAIN_SECONDS,
    "options": {"expires": OUTBOX_DRAIN_SECONDS * 5 / 6},
}
