"""The change on the shared operation path (operations.path): its visibility, policy and
state rules, and its rules of input."""

from datetime import datetime

from changes.models import Change
from changes.policy import authorize, offered
from changes.selectors import changes_visible_to
from core.errors import validation_error
from operations.inputs import TextRules
from operations.path import Governed, state_rules, transition_sources

STATE_RULES = state_rules(
    {
        "approve": (
            (*transition_sources(Change.approve), *transition_sources(Change.approve_retrospectively)),
            "approved (an implemented one only retrospectively, after a CAB bypass)",
        ),
        "reject": (Change.reject, "rejected"),
        "implement": (
            (*transition_sources(Change.implement), *transition_sources(Change.implement_bypassing_cab)),
            "implemented (a pending one only as an emergency change, by an incident manager)",
        ),
        "close": (Change.close, "closed"),
    }
)
CHANGES = Governed(
    model=Change,
    visible_to=changes_visible_to,
    authorize=authorize,
    rules=STATE_RULES,
    noun="change",
    related=("requester", "implemented_by"),
    offers=offered,
)
TEXT = TextRules(
    {
        "summary": 200,
        "description": 10_000,
        "rollback_plan": 10_000,
        "comment": 2_000,
        "reason": 2_000,
        "note": 2_000,
        "failure_reason": 2_000,
    }
)


def username(user) -> str | None:
    return user.get_username() if user is not None else None


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def window(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """An implementation window: both ends or neither, the end after the start."""
    if (start is None) != (end is None):
        raise validation_error(
            "An implementation window needs both its start and its end.",
            implementation_window="Give both start and end, or neither.",
        )
    if start is not None and end <= start:
        raise validation_error(
            f"The implementation window must end after it starts; it starts {start.isoformat()} "
            f"and ends {end.isoformat()}.",
            implementation_window="The end must be after the start.",
        )
    return start, end
