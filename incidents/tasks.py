from celery import shared_task

from incidents.sweep import sla_sweep


@shared_task(name="incidents.tasks.sla_sweep", ignore_result=True)
def sla_sweep_task() -> dict:
    """Beat runs this every 30 s: thin, the work is in incidents.sweep."""
    return dict(sla_sweep())
