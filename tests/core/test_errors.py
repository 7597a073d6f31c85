"""Every error code of API.md leaves as the one envelope, through real HTTP requests."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts.models import ApiToken
from audit.models import AuditEvent
from catalog.models import Service
from core.api.exceptions import exception_handler
from core.errors import DomainError, ErrorCode
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"
NO_CREDENTIALS = "Authentication credentials were not provided."
BAD_TOKEN = "Invalid, expired or revoked token."


@pytest.fixture
def admin(make_user):
    return make_user("admin")


# --- 400 validation_error --------------------------------------------------------------


def test_validation_error_names_the_bad_field(api, admin):
    response = api(admin).post(SERVICES, {"name": "Mail", "criticality": "extreme"}, format="json")
    error = assert_error(
        response,
        400,
        "validation_error",
        message='Invalid input. criticality: "extreme" is not a valid choice.',
    )
    assert error["fields"] == {"criticality": ['"extreme" is not a valid choice.']}
    assert not Service.objects.exists()
    assert not AuditEvent.objects.exists()


def test_validation_error_names_every_missing_field(api, admin):
    response = api(admin).post(SERVICES, {}, format="json")
    error = assert_error(
        response, 400, "validation_error", message="Invalid input. name: This field is required."
    )
    assert error["fields"] == {"name": ["This field is required."]}


def test_malformed_json_body_is_a_validation_error(api, admin):
    response = api(admin).post(SERVICES, data='{"name": "Mail",', content_type="application/json")
    error = assert_error(response, 400, "validation_error")
    assert error["message"].startswith("Malformed request body: JSON parse error - "), error
    assert error["fields"] == {}
    assert not Service.objects.exists()


def test_unsupported_media_type(api, admin):
    response = api(admin).post(SERVICES, data="name=Mail", content_type="text/plain")
    assert_error(
        response, 415, "unsupported_media_type", message='Unsupported media type "text/plain" in request.'
    )
    assert not Service.objects.exists()


# --- 401 not_authenticated --------------------------------------------------------------


def _assert_401(response, message):
    assert_error(response, 401, "not_authenticated", message=message)
    assert response["WWW-Authenticate"] == "Token"


def test_no_credentials(db):
    _assert_401(APIClient().get(SERVICES), NO_CREDENTIALS)


def test_unknown_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    _assert_401(client.get(SERVICES), BAD_TOKEN)


def test_revoked_token(make_user):
    token, key = ApiToken.issue(user=make_user("admin"))
    token.revoked_at = timezone.now()
    token.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    _assert_401(client.get(SERVICES), BAD_TOKEN)


def test_expired_token(make_user):
    _, key = ApiToken.issue(user=make_user("admin"), expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    _assert_401(client.get(SERVICES), BAD_TOKEN)


def test_token_not_yet_expired_is_accepted(make_user):
    """The other side of the expiry check, so the test above cannot pass for a wrong reason."""
    _, key = ApiToken.issue(user=make_user("admin"), expires_at=timezone.now() + timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(SERVICES).status_code == 200


def test_unauthenticated_write_is_401_and_changes_nothing(db):
    response = APIClient().post(SERVICES, {"name": "Mail"}, format="json")
    _assert_401(response, NO_CREDENTIALS)
    assert not Service.objects.exists()


# --- 403 permission_denied ----------------------------------------------------------------


def test_permission_denied_for_a_role_that_may_not(api, make_user):
    response = api(make_user("l2")).post(SERVICES, {"name": "Mail"}, format="json")
    error = assert_error(
        response,
        403,
        "permission_denied",
        message="Only an admin or an incident manager may add services to the catalog.",
    )
    assert error["fields"] == {}
    assert not Service.objects.exists()
    assert not AuditEvent.objects.exists()


# --- 404 not_found ----------------------------------------------------------------------


def test_unknown_record_is_not_found(api, admin):
    response = api(admin).get(f"{SERVICES}SVC-999999/")
    error = assert_error(response, 404, "not_found")
    assert error["fields"] == {}
    assert error["message"] == "Service SVC-999999 was not found."


def test_not_found_message_names_the_reference(api, admin):
    assert_error(
        api(admin).get(f"{SERVICES}SVC-999999/"),
        404,
        "not_found",
        message="Service SVC-999999 was not found.",
    )


def test_unknown_api_url_answers_the_envelope(api, admin):
    response = api(admin).get("/api/v1/nope/")
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 404, "not_found", message="No API endpoint at /api/v1/nope/.")


def test_unknown_api_url_answers_the_envelope_without_credentials(db):
    response = APIClient().get("/api/v1/nope/deeper/")
    assert_error(response, 404, "not_found", message="No API endpoint at /api/v1/nope/deeper/.")


def test_unknown_page_outside_the_api_is_not_json(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


# --- 405 method_not_allowed -------------------------------------------------------------


def test_delete_on_a_service_is_not_allowed(api, admin):
    client = api(admin)
    ref = client.post(SERVICES, {"name": "Mail"}, format="json").json()["id"]
    response = client.delete(f"{SERVICES}{ref}/")
    assert_error(response, 405, "method_not_allowed", message='Method "DELETE" not allowed.')
    assert "DELETE" not in response["Allow"]
    assert Service.objects.filter(reference=ref).exists()


# --- 409 duplicate ----------------------------------------------------------------------


def test_duplicate_service_name_names_the_existing_one(api, admin):
    client = api(admin)
    ref = client.post(SERVICES, {"name": "Mail"}, format="json").json()["id"]
    response = client.post(SERVICES, {"name": " mail "}, format="json")
    error = assert_error(response, 409, "duplicate", message=f"{ref} is already named 'Mail'.")
    assert error["fields"] == {"existing": ref}
    assert Service.objects.count() == 1
    assert AuditEvent.objects.filter(ref_type="service").count() == 1


# --- 429 rate_limited ---------------------------------------------------------------------


@pytest.fixture
def tight_throttle(monkeypatch):
    rates = {"user": "2/min", "anon": "2/min"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def _assert_429(response):
    error = assert_error(response, 429, "rate_limited")
    match = re.fullmatch(r"Too many requests\. Retry in (\d+) s\.", error["message"])
    assert match, error
    assert 0 < int(match.group(1)) <= 60
    assert response["Retry-After"] == match.group(1)


def test_rate_limited_user(api, admin, tight_throttle):
    client = api(admin)
    assert client.get(SERVICES).status_code == 200
    assert client.get(SERVICES).status_code == 200
    _assert_429(client.get(SERVICES))


def test_rate_limit_is_per_user(api, make_user, tight_throttle):
    first, second = api(make_user("admin")), api(make_user("admin"))
    for _ in range(2):
        assert first.get(SERVICES).status_code == 200
    _assert_429(first.get(SERVICES))
    assert second.get(SERVICES).status_code == 200


def test_rate_limited_anonymous(db, tight_throttle):
    """The schema is public (AllowAny), so anonymous callers reach the throttle there."""
    client = APIClient(HTTP_ACCEPT="application/json")
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
    _assert_429(client.get("/api/schema/"))


# --- codes no endpoint raises yet: the handler renders DomainError ---------------------------


@pytest.mark.parametrize(
    ("code", "status", "message", "fields"),
    [
        (
            ErrorCode.INVALID_TRANSITION,
            409,
            "INC-000123 is in_progress; only a resolved incident can be closed.",
            {},
        ),
        (ErrorCode.CONFLICT, 409, "INC-000123 changed since you read it; reload and retry.", {}),
        (
            ErrorCode.PRECONDITION_FAILED,
            412,
            "CHG-000007 is not approved; approve it before linking.",
            {"change": ["Not approved."]},
        ),
        (
            ErrorCode.SEGREGATION_OF_DUTIES,
            403,
            "CHG-000007 was requested by you; another change manager must approve it.",
            {},
        ),
        (ErrorCode.DUPLICATE, 409, "PRB-000002 already covers it.", {"existing": "PRB-000002"}),
    ],
)
def test_handler_renders_domain_errors(code, status, message, fields):
    response = exception_handler(DomainError(code, message, fields), {})
    assert response.status_code == status
    assert response.data == {"error": {"code": code.value, "message": message, "fields": fields}}
    assert "WWW-Authenticate" not in response


def test_handler_accepts_the_code_as_text():
    response = exception_handler(DomainError("conflict", "INC-000001 changed."), {})
    assert response.status_code == 409
    assert response.data["error"]["code"] == "conflict"


def test_unknown_code_is_refused():
    with pytest.raises(ValueError):
        DomainError("nonsense", "x")


def test_handler_leaves_real_bugs_to_django():
    assert exception_handler(ZeroDivisionError("boom"), {}) is None


def test_every_code_has_a_status():
    from core.errors import HTTP_STATUS

    assert set(HTTP_STATUS) == set(ErrorCode)
