"""The only writers of post-incident reviews and their action items (SOP 14)."""

from reviews.services.chase import action_items_chase
from reviews.services.items import action_item_add, action_item_update
from reviews.services.review import review_complete, review_create, review_update

__all__ = [
    "action_item_add",
    "action_item_update",
    "action_items_chase",
    "review_complete",
    "review_create",
    "review_update",
]
