"""Browser sessions end after IMS_SESSION_IDLE_SECONDS without activity."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone


@pytest.fixture
def signed_in(make_user, settings):
    settings.IMS_SESSION_IDLE_SECONDS = 30 * 60
    client = Client()
    client.force_login(make_user("service_desk", team="service_desk"))
    return client


def page(client, **headers):
    return client.get(reverse("my-incidents"), **headers)


def test_thirty_minutes_without_activity_sign_out(signed_in):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert page(signed_in).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = page(signed_in)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "_auth_user_id" not in signed_in.session
        login = signed_in.get(response["Location"])
        assert "You were signed out after 30 minutes without activity." in login.content.decode()


def test_activity_keeps_the_session(signed_in):
    start = timezone.now()
    for minutes in (0, 20, 40, 60):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert page(signed_in).status_code == 200, minutes


def test_self_refreshing_lists_are_not_activity(signed_in):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert page(signed_in).status_code == 200
    for minutes in (10, 20, 29):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert page(signed_in, HTTP_X_IMS_BACKGROUND="1", HTTP_HX_REQUEST="true").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert page(signed_in).status_code == 302


def test_an_expired_htmx_request_reloads_the_page(signed_in):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        page(signed_in)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = page(signed_in, HTTP_X_IMS_BACKGROUND="1", HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Refresh"] == "true"


def test_the_session_store_expires_shortly_after_the_idle_time(signed_in):
    """The backstop: a session nobody uses is gone from the store itself 35 minutes on."""
    assert page(signed_in).status_code == 200
    age = signed_in.session.get_expiry_age()
    assert 30 * 60 < age <= 35 * 60
