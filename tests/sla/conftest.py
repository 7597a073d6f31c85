"""Fixtures of the SLA tests: users, services on the two calendars of catalog's migration,
and incidents logged at a chosen (frozen) instant through the real services."""

from datetime import datetime

import pytest

from catalog.models import BusinessCalendar, Service
from incidents import services
from incidents.models import Incident
from tests.sla.support import ALWAYS, LEVELS, OFFICE, T0, at, reload


@pytest.fixture
def manager(make_user):
    """An incident manager: may take every incident operation."""
    return make_user("incident_manager", team="incident_manager", username="im-sla")


@pytest.fixture
def reporter(make_user):
    return make_user("end_user", username="reporter-sla")


@pytest.fixture
def make_service(db):
    def make(calendar: str | BusinessCalendar | None = OFFICE, name: str | None = None) -> Service:
        if isinstance(calendar, str):
            calendar = BusinessCalendar.objects.get(name=calendar)
        return Service.objects.create(
            name=name or f"SLA service {Service.objects.count() + 1}", calendar=calendar
        )

    return make


@pytest.fixture
def office_service(make_service):
    return make_service(OFFICE)


@pytest.fixture
def always_service(make_service):
    """A service on the 24x7 calendar: business-hour targets (P3/P4) run on elapsed time."""
    return make_service(ALWAYS)


@pytest.fixture
def log_incident(manager, reporter, office_service):
    """log_incident("P3", when=T0, service=…) → an open incident logged at that instant."""

    def log(
        priority: str = "P3", *, when: datetime = T0, service: Service | None = None, **fields
    ) -> Incident:
        impact, urgency = LEVELS[priority]
        with at(when):
            incident, _ = services.incident_create(
                actor=manager,
                title=fields.pop("title", f"{priority} logged at {when:%a %H:%M}"),
                impact=impact,
                urgency=urgency,
                affected_service=(service or office_service).reference,
                reporter=reporter.get_username(),
                **fields,
            )
        return reload(incident)

    return log
