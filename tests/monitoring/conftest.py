"""Fixtures of the monitoring tests: the incident fixtures (people, make, svc), an intake
user with an intake-scoped token, and ``event(**kw)`` to build a posted event body."""

import itertools

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, TokenScope
from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures

_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def intake_user(make_user):
    return make_user("service_desk", username="prometheus")


def token_client(user, scope=TokenScope.FULL) -> APIClient:
    _, key = ApiToken.issue(user=user, name="test", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def intake(intake_user):
    """An APIClient holding an intake-scoped token."""
    return token_client(intake_user, TokenScope.INTAKE)


@pytest.fixture
def event(svc):  # noqa: F811 - the fixture imported above
    """event(**kw) → an event body on svc (critical by default, a fresh event_id)."""

    def build(**kw):
        body = {
            "source": "monitoring_tool",
            "service": svc.reference,
            "alert_type": "HighErrorRate",
            "severity": "critical",
            "occurred_at": timezone.now().isoformat(),
            "event_id": f"ev-{next(_ids)}",
            "summary": "5xx above 5%",
        }
        body.update(kw)
        return {k: v for k, v in body.items() if v is not None}

    return build
