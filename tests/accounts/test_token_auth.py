"""``Authorization: Token <key>`` against the stored hash, and browser sessions."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"
BAD_TOKEN = "Invalid, expired or revoked token."
BAD_HEADER = "Invalid token header: expected 'Authorization: Token <key>'."


def client_with(header: str | None) -> APIClient:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


def assert_401(response, message):
    assert_error(response, 401, "not_authenticated", message=message)
    assert response["WWW-Authenticate"] == "Token"


@pytest.fixture
def user(make_user):
    return make_user("service_desk")


def test_good_token(user):
    _, key = ApiToken.issue(user=user)
    response = client_with(f"Token {key}").get(SERVICES)
    assert response.status_code == 200, response.content
    assert response.wsgi_request.user == user


def test_keyword_is_case_insensitive(user):
    _, key = ApiToken.issue(user=user)
    assert client_with(f"token {key}").get(SERVICES).status_code == 200


def test_first_use_is_recorded(user):
    token, key = ApiToken.issue(user=user)
    assert token.last_used_at is None
    client_with(f"Token {key}").get(SERVICES)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_bad_token(user):
    _, key = ApiToken.issue(user=user)
    wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
    assert_401(client_with(f"Token {wrong}").get(SERVICES), BAD_TOKEN)


def test_the_stored_hash_is_not_a_key(user):
    token, _ = ApiToken.issue(user=user)
    assert_401(client_with(f"Token {token.key_hash}").get(SERVICES), BAD_TOKEN)


def test_missing_header(db):
    assert_401(client_with(None).get(SERVICES), "Authentication credentials were not provided.")


@pytest.mark.parametrize("header", ["Token", "Token ", "Token one two"])
def test_malformed_token_header(db, header):
    assert_401(client_with(header).get(SERVICES), BAD_HEADER)


def test_key_that_is_not_text(db):
    assert_401(client_with("Token \xe9\xe9").get(SERVICES), "Invalid token header: the key is not text.")


def test_other_schemes_are_not_tokens(user):
    _, key = ApiToken.issue(user=user)
    assert_401(client_with(f"Bearer {key}").get(SERVICES), "Authentication credentials were not provided.")


def test_inactive_users_token(user):
    _, key = ApiToken.issue(user=user)
    user.is_active = False
    user.save()
    assert_401(client_with(f"Token {key}").get(SERVICES), BAD_TOKEN)


def test_revoked_and_expired_tokens(user):
    revoked, revoked_key = ApiToken.issue(user=user, name="revoked")
    revoked.revoked_at = timezone.now()
    revoked.save()
    _, expired_key = ApiToken.issue(
        user=user, name="expired", expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert_401(client_with(f"Token {revoked_key}").get(SERVICES), BAD_TOKEN)
    assert_401(client_with(f"Token {expired_key}").get(SERVICES), BAD_TOKEN)


def test_session_login_works_for_get(user):
    client = APIClient()
    assert client.login(username=user.username, password="pw-" + "x" * 12)
    response = client.get(SERVICES)
    assert response.status_code == 200, response.content
    assert response.wsgi_request.user == user


def test_session_write_needs_the_csrf_token(make_user):
    admin = make_user("admin")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=admin.username, password="pw-" + "x" * 12)
    response = client.post(SERVICES, {"name": "Mail"}, format="json")
    assert_error(response, 403, "permission_denied", contains="CSRF")


def test_a_bad_token_is_not_rescued_by_a_session(user):
    """The token is checked first; a wrong one fails even beside a valid session."""
    client = APIClient()
    assert client.login(username=user.username, password="pw-" + "x" * 12)
    client.credentials(HTTP_AUTHORIZATION="Token " + "f" * 40)
    assert_401(client.get(SERVICES), BAD_TOKEN)
