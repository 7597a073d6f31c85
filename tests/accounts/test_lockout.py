"""Sign-in lockout (django-axes) on the desk's and the admin's login, audited on the user."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent

PASSWORD = "pw-" + "x" * 12
LOGINS = {"desk": "/login/", "admin": "/admin/login/"}


@pytest.fixture
def person(make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    return make_user("admin", username="alice")


def sign_in(client, url, password, username="alice"):
    return client.post(url, {"username": username, "password": password, "next": "/"})


def lockout_events():
    return AuditEvent.objects.filter(ref_type="user", ref_id="alice", changes__has_key="locked_out")


@pytest.mark.parametrize("via", ["desk", "admin"])
def test_locked_out_after_the_limit_and_audited_once(person, via):
    url = LOGINS[via]
    client = Client(REMOTE_ADDR="198.51.100.4")
    assert [sign_in(client, url, "wrong").status_code for _ in range(2)] == [200, 200]
    assert not lockout_events().exists()

    third = sign_in(client, url, "wrong")
    assert third.status_code == 429
    assert "Too many failed sign-ins for this account from your address." in third.content.decode()
    assert "Try again in 15 minutes" in third.content.decode()

    # the right password no longer helps, and no second event is written
    refused = sign_in(client, url, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    event = lockout_events().get()
    assert event.domain_action == "update"
    assert event.actor_label == "system"
    assert event.changes == {"locked_out": [False, True]}
    assert event.additional_data == {
        "reason": "failed_sign_ins",
        "failures": 3,
        "ip_address": "198.51.100.4",
        "via": via,
        "cooloff_minutes": 15,
    }


def test_the_lockout_is_per_address(person):
    attacker = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(3):
        sign_in(attacker, "/login/", "wrong")
    response = sign_in(Client(REMOTE_ADDR="198.51.100.5"), "/login/", PASSWORD)
    assert response.status_code == 302, response.content


def test_the_lockout_ends_after_the_cooloff(person):
    client = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(3):
        sign_in(client, "/login/", "wrong")
    assert sign_in(client, "/login/", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert sign_in(client, "/login/", PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(person):
    client = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(2):
        sign_in(client, "/login/", "wrong")
    assert sign_in(client, "/login/", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(2):
        assert sign_in(client, "/login/", "wrong").status_code == 200
    assert not lockout_events().exists()


def test_an_unknown_username_is_locked_out_without_an_audit_event(person):
    client = Client(REMOTE_ADDR="198.51.100.4")
    statuses = [sign_in(client, "/login/", "wrong", username="mallory").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert not AuditEvent.objects.filter(changes__has_key="locked_out").exists()


def test_the_administrator_reads_the_counted_attempts_in_the_admin(person, make_user):
    sign_in(Client(REMOTE_ADDR="198.51.100.4"), "/login/", "wrong")
    client = Client()
    client.force_login(person)
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200
    assert "198.51.100.4" in response.content.decode()
    assert client.get("/admin/axes/accessattempt/add/").status_code == 403
