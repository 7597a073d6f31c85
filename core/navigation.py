"""The main navigation's entries that apps add (problems, changes, knowledge, reviews): each
app registers its entry in ``AppConfig.ready`` with the roles that use it; the page shows a
viewer the entries of the roles they hold."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 50


_ENTRIES: dict[str, NavEntry] = {}


def nav_register(entry: NavEntry) -> None:
    _ENTRIES[entry.url_name] = entry


def nav_for(roles: frozenset[str]) -> list[dict]:
    entries = sorted(_ENTRIES.values(), key=lambda e: (e.order, e.label))
    return [{"label": e.label, "href": reverse(e.url_name)} for e in entries if roles & e.roles]
