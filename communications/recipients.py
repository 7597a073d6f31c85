"""Recipient groups → addresses. Communications sits below the entity apps, so a subject's own
people (an incident's reporter, its assigned team, its service's subscribers) come from a
resolver the subject's app registers by reference prefix in its AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from accounts.models import Team
from communications.models import Recipients


@dataclass(frozen=True)
class SubjectContacts:
    """The addresses of a subject's own people; ``stakeholders`` None: the app has no subscribers."""

    reporter: tuple[str, ...] = ()
    assigned_team: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] | None = None
    extra: dict = field(default_factory=dict)


_RESOLVERS: dict[str, Callable[[str], SubjectContacts]] = {}


def register_subject_resolver(prefix: str, resolver: Callable[[str], SubjectContacts]) -> None:
    """``resolver(subject_ref)`` for references ``<prefix>-…`` (e.g. ``INC``)."""
    _RESOLVERS[prefix] = resolver


def subject_contacts(subject_ref: str) -> SubjectContacts:
    resolver = _RESOLVERS.get(subject_ref.split("-", 1)[0])
    return resolver(subject_ref) if resolver else SubjectContacts()


def team_emails(name: str) -> tuple[str, ...]:
    """The active members' addresses of the team whose code or name is ``name``."""
    if not name:
        return ()
    team = Team.objects.filter(code=name).first() or Team.objects.filter(name__iexact=name).first()
    if team is None:
        return ()
    rows = team.members.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    return tuple(rows.order_by("email"))


def _configured(name: str) -> tuple[str, ...]:
    value = getattr(settings, name, ())
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if v and v.strip())


def resolve_addresses(subject_ref: str, groups: list[str], recipient_detail: str = "") -> list[str]:
    """Every e-mail address the groups name, each once, sorted."""
    contacts = subject_contacts(subject_ref)
    found: set[str] = set()
    for group in groups:
        if group in (Recipients.REPORTER, Recipients.END_USERS):
            found.update(contacts.reporter)
        elif group == Recipients.TEAM:
            found.update(team_emails(recipient_detail))
        elif group == Recipients.IT_STAFF:
            found.update(contacts.assigned_team)
        elif group == Recipients.EXECUTIVES:
            found.update(team_emails(settings.IMS_EXECUTIVES_TEAM))
        elif group == Recipients.STAKEHOLDERS:
            if contacts.stakeholders is not None:
                found.update(contacts.stakeholders)
            found.update(_configured("IMS_STAKEHOLDER_EMAILS"))
    return sorted(a.strip().lower() for a in found if a and a.strip())
