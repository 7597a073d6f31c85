"""Fixtures shared by the incident tests: a service, a vendor, one person per role, and
``make`` to build an incident in any status through the services."""

from types import SimpleNamespace

import pytest

from catalog.models import Service, Vendor
from tests.incidents.factories import incident_in


@pytest.fixture
def svc(db):
    return Service.objects.create(name="Email")


@pytest.fixture
def vendor(db):
    return Vendor.objects.create(name="Acme Networks")


@pytest.fixture
def people(make_user, vendor):
    return SimpleNamespace(
        analyst=make_user("service_desk", team="service_desk"),
        sdm=make_user("service_desk_manager", team="service_desk"),
        im=make_user("incident_manager", team="incident_manager"),
        auditor=make_user("auditor"),
        admin=make_user("admin"),
        l1=make_user("l1", team="L1"),
        l2=make_user("l2", team="L2"),
        l2b=make_user("l2", team="L2"),
        l3=make_user("l3", team="L3"),
        reporter=make_user("end_user"),
        other_user=make_user("end_user"),
        nobody=make_user(),
        vendor=vendor,
    )


@pytest.fixture
def make(people, svc):
    """make(status, **kw): an incident reported by people.reporter on svc, worked by people.im."""

    def build(status="open", **kw):
        kw.setdefault("reporter", people.reporter)
        kw.setdefault("actor", people.im)
        kw.setdefault("service", svc)
        return incident_in(status, **kw)

    return build
