"""Celery's broker transport options for the broker URL settings.py reads."""

import os
from pathlib import Path


def broker_transport_options(url: str, folder: Path) -> dict:
    if url.startswith("filesystem://"):
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    if url.startswith(("redis://", "rediss://")):
        # With acks_late a message is acked when its task ends; one whose worker died unacked is
        # handed out again after visibility_timeout (kombu's default: an hour). IMS does not rely
        # on that for its periodic work — a killed sweep is redone by the next beat tick (the
        # deadlines are rows) and a redelivered sweep or checkpoint has expired by then — so the
        # timeout only bounds how long a lost one-off task waits. It must exceed the longest a
        # task runs (else a running task is handed to a second worker as well) and IMS schedules
        # no eta/countdown tasks, which it would also redeliver early: five minutes.
        return {
            "visibility_timeout": int(os.environ.get("CELERY_BROKER_VISIBILITY_TIMEOUT", "300")),
        }
    return {}
