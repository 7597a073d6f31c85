"""Fixtures of the problem tests: the incident fixtures (people, make, svc), the roles the
incident ones lack, and ``problem`` to build a problem in any status through the services."""

from types import SimpleNamespace

import pytest

from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures
from tests.problems.factories import problem_in


@pytest.fixture
def more(make_user):
    """The roles the incident fixtures do not make."""
    return SimpleNamespace(
        devops=make_user("devops", team="devops"),
        facilities=make_user("facilities", team="facilities"),
        change_manager=make_user("change_manager", team="change_mgmt"),
        l3b=make_user("l3", team="L3"),
    )


@pytest.fixture
def problem(people, svc):  # noqa: F811 - the imported fixtures
    """problem(status, **kw): a problem on svc, worked by people.im."""

    def build(status="new", **kw):
        kw.setdefault("actor", people.im)
        kw.setdefault("service", svc)
        return problem_in(status, **kw)

    return build
