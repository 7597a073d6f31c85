"""A flood of bad tokens from one address is answered 429 rate_limited, in the envelope."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"


@pytest.fixture
def key(make_user, settings):
    settings.IMS_THROTTLE_BAD_TOKEN = "3/minute"
    return ApiToken.issue(user=make_user("service_desk"))[1]


def get(token: str, address: str = "192.0.2.10", **headers):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", **headers)
    return client.get(SERVICES)


def test_after_the_limit_of_failures_the_address_is_answered_429(key):
    assert [get("f" * 40).status_code for _ in range(3)] == [401, 401, 401]
    response = get("f" * 40)
    error = assert_error(response, 429, "rate_limited")
    assert error["message"].startswith("Too many requests. Retry in ")
    assert 0 < int(response["Retry-After"]) <= 60
    # a good token from that address waits too: the flood cannot go on testing keys
    assert_error(get(key), 429, "rate_limited")


def test_malformed_headers_count_as_failures(key):
    for header in ("Token", "Token a b", "Token " + "0" * 40):
        client = APIClient(REMOTE_ADDR="192.0.2.10")
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get(SERVICES).status_code == 401
    assert_error(get(key), 429, "rate_limited")


def test_good_tokens_do_not_count(key):
    assert [get(key).status_code for _ in range(5)] == [200] * 5


def test_other_addresses_are_not_affected(key):
    for _ in range(4):
        get("f" * 40)
    assert get(key, address="192.0.2.11").status_code == 200


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(key):
    """Without a proxy configured (NUM_PROXIES 0) the address is REMOTE_ADDR only."""
    for n in range(3):
        get("f" * 40, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert_error(get(key, HTTP_X_FORWARDED_FOR="203.0.113.99"), 429, "rate_limited")


def test_the_address_is_let_in_again_after_the_window(key):
    for _ in range(4):
        get("f" * 40)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert get(key).status_code == 200
