"""The change tests' people (the incident fixtures' and a CAB, a second CAB member, an
incident manager, DevOps) and ``chg`` to build a change in any state through the services."""

import pytest

from tests.changes.factories import change_in
from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures


@pytest.fixture
def cast(people, make_user):  # noqa: F811 - the incident fixture, extended
    people.cm = make_user("change_manager", team="change_mgmt")
    people.cm2 = make_user("change_manager", team="change_mgmt")
    people.im2 = make_user("incident_manager", team="incident_manager")
    people.devops = make_user("devops", team="devops")
    return people


@pytest.fixture
def chg(cast, svc):  # noqa: F811 - the incident fixture
    """chg(state, **kw): a change requested by the analyst on svc, decided by cast.cm,
    bypassed by cast.im."""

    def build(state="pending", **kw):
        kw.setdefault("requester", cast.analyst)
        kw.setdefault("cab", cast.cm)
        kw.setdefault("bypasser", cast.im)
        kw.setdefault("affected_services", [svc.reference])
        return change_in(state, **kw)

    return build
