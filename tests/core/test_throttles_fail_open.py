"""Every rate limit fails open: with the cache unreachable (a real Redis client pointed at
a port where nothing listens) the API still answers, and a warning says the limit was not
applied. tests/faults/test_redis_outage.py does the same over HTTP with Redis stopped."""

import logging

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.faults.support import free_port
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def get(token: str | None = None):
    client = APIClient(REMOTE_ADDR="192.0.2.10")
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(SERVICES)


def test_a_good_token_is_answered_while_the_cache_is_down(make_user, cache_down, caplog):
    key = ApiToken.issue(user=make_user("service_desk"))[1]
    with caplog.at_level(logging.WARNING, logger="core.throttling"):
        assert get(key).status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "core.throttling"]
    assert any(m.startswith("bad_token rate limit not applied: the cache is unavailable") for m in messages)
    assert any(m.startswith("user rate limit not applied: the cache is unavailable") for m in messages)


def test_bad_tokens_and_anonymous_callers_are_refused_as_usual_while_the_cache_is_down(db, cache_down):
    assert_error(get("f" * 40), 401, "not_authenticated")
    assert_error(get(), 401, "not_authenticated")
