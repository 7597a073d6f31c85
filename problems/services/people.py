"""Who a problem names: its owner team and its assignee, who must be able to work it."""

from core.errors import validation_error
from core.roles import user_roles
from operations import inputs
from problems.policy import WORKERS


def team_or_none(code: str | None, field: str = "owner_team"):
    """The team of ``code``; None for no team (None or "")."""
    return inputs.team(code, field) if code else None


def worker_or_none(username: str | None, field: str = "assignee"):
    """The active user ``username``, who must hold a role that works problems; None for
    nobody (None or "")."""
    if not username:
        return None
    user = inputs.active_user(username, field)
    if not user_roles(user) & WORKERS:
        raise validation_error(
            f"{username} does not work problems: assign a service desk, resolver or incident manager.",
            **{field: f"{username} does not work problems."},
        )
    return user
