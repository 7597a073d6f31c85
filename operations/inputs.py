"""The rules of input every entity's services share: text within its field's limit,
required text, text that accumulates entries, choices, and references to active records."""

import time

from django.contrib.auth import get_user_model

from accounts.models import Team
from catalog.models import Service
from core.errors import validation_error

User = get_user_model()


class TextRules:
    """Text limits per field name (``limits``), and what a field that grows with every entry
    may reach in all (``accumulated``)."""

    def __init__(self, limits: dict[str, int], accumulated: int = 100_000):
        self.limits = limits
        self.accumulated = accumulated

    def text(self, value: str | None, field: str) -> str:
        """``value`` stripped, refused past the field's limit."""
        return max_length((value or "").strip(), self.limits[field], field)

    def required(self, value: str | None, field: str, message: str) -> str:
        if value is None or not str(value).strip():
            raise validation_error(message, **{field: "This field is required."})
        return self.text(str(value), field)

    def appended(self, obj, field: str, entry: str, stamp: str) -> str:
        """``field`` of ``obj`` with ``entry`` added under a time stamp, within
        ``accumulated`` in all."""
        combined = f"{getattr(obj, field)}\n\n[{stamp}] {entry}".strip()
        if len(combined) > self.accumulated:
            raise validation_error(
                f"The {field} of {obj.reference} would be {len(combined)} characters long; the limit is "
                f"{self.accumulated}. Summarize it in a linked problem or KB article instead.",
                **{field: f"At most {self.accumulated} characters in all."},
            )
        return combined


def max_length(value: str, limit: int, field: str) -> str:
    if len(value) > limit:
        raise validation_error(
            f"{field} is {len(value)} characters long; the limit is {limit}.",
            **{field: f"At most {limit} characters."},
        )
    return value


def choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise validation_error(
            f"{field} must be one of {', '.join(choices.values)}; got {value!r}.",
            **{field: f"{value!r} is not a valid choice."},
        )
    return value


def active_service(reference: str, field: str = "affected_service") -> Service:
    service = Service.objects.filter(reference=reference).first()
    if service is None or not service.is_active:
        raise validation_error(
            f"No active service {reference}.", **{field: f"No active service {reference}."}
        )
    return service


def active_user(username: str, field: str):
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise validation_error(f"No active user {username}.", **{field: f"No active user {username}."})
    return user


# teams by code, per process for a short while (teams are set up, rarely changed, never
# deleted while records name them): the SLA sweep escalated through one query per action
TEAM_CACHE_SECONDS = 60
_TEAMS: dict[str, tuple[float, Team]] = {}


def team(code: str, field: str = "team") -> Team:
    hit = _TEAMS.get(code)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    found = Team.objects.filter(code=code).first()
    if found is None:
        raise validation_error(f"No team {code}.", **{field: f"No team {code}."})
    _TEAMS[code] = (time.monotonic() + TEAM_CACHE_SECONDS, found)
    return found
