from celery import shared_task

from reviews.services import action_items_chase


@shared_task(name="reviews.tasks.action_items_chase", ignore_result=True)
def action_items_chase_task() -> int:
    """Beat runs this every 15 minutes: thin, the work is in reviews.services.chase."""
    return action_items_chase()
