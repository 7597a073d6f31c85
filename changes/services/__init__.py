"""The only writers of changes (SOP 10), each one operation on the shared path
(operations.path): validate, authorize, check the version and the state, apply, save and
audit in one transaction; any refusal changes nothing."""

from changes.services.base import CHANGES, STATE_RULES  # noqa: F401
from changes.services.lifecycle import (  # noqa: F401
    change_approve,
    change_close,
    change_create,
    change_implement,
    change_reject,
)
from changes.services.links import change_link_incident  # noqa: F401
from changes.services.reads import changes_record_lookup  # noqa: F401
