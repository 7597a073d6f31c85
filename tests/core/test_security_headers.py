"""Security headers on pages and API responses: the content security policy (no inline
script), Permissions-Policy, Cache-Control: no-store where a person's data is shown."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import assert_error

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture
def desk(make_user):
    client = Client()
    client.force_login(make_user("service_desk", team="service_desk"))
    return client


def desk_pages():
    return [reverse("workspace"), reverse("my-incidents"), reverse("incident-report"), reverse("api-docs")]


def test_the_policy_allows_no_inline_script_or_eval(db):
    policy = directives(Client().get(reverse("login")))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in " ".join(policy["script-src"] + policy["default-src"])
    assert "'unsafe-eval'" not in response_text(policy)


def response_text(policy: dict) -> str:
    return " ".join(" ".join(values) for values in policy.values())


def test_pages_carry_the_headers_and_no_inline_script_handler_or_style(desk):
    for url in desk_pages():
        response = desk.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response, url
        assert response["Permissions-Policy"].startswith("accelerometer=(), camera=()"), url
        assert "no-store" in response["Cache-Control"], url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html))
        assert not INLINE_STYLE.search(html), (url, INLINE_STYLE.search(html))


def test_the_login_and_error_pages_have_no_inline_style_or_script(db, client):
    from django.template.loader import render_to_string

    for html in (client.get(reverse("login")).content.decode(), render_to_string("500.html")):
        assert not INLINE_SCRIPT.search(html)
        assert not INLINE_STYLE.search(html)


def test_the_swagger_ui_loads_its_start_up_script_as_a_file(desk):
    html = desk.get(reverse("api-docs")).content.decode()
    assert 'src="/api/docs/?script="' in html
    script = desk.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_api_responses_carry_the_headers(api, make_user):
    response = api(make_user("service_desk")).get("/api/v1/services/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response
    assert "Permissions-Policy" in response


def test_api_refusals_are_not_stored_either(db):
    response = Client().get("/api/v1/services/")
    assert_error(response, 401, "not_authenticated")
    assert "no-store" in response["Cache-Control"]


def test_anonymous_pages_are_not_forced_to_no_store(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Permissions-Policy" in response


def test_the_admin_works_under_the_policy(make_user):
    client = Client()
    client.force_login(make_user("admin"))
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    assert not INLINE_SCRIPT.search(response.content.decode())
