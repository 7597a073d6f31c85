"""Fixtures of the tool usage tests: the incident fixtures, a DevOps engineer, and
``usage`` to record one through the service."""

import pytest

from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures
from tooling.services import tool_usage_record


@pytest.fixture
def devops(make_user):
    return make_user("devops", team="devops")


@pytest.fixture
def usage(people):  # noqa: F811 - the imported fixture
    """usage(incident, **kw): a tool usage recorded by people.im (default: noted monitoring)."""

    def build(incident, **kw):
        kw.setdefault("actor", people.im)
        kw.setdefault("tool", "monitoring")
        kw.setdefault("outcome", "noted")
        kw.setdefault("action_summary", "Checked the dashboards.")
        return tool_usage_record(incident=incident.reference, **kw)

    return build
