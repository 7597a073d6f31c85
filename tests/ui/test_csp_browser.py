"""Pages that run third-party script keep working under the content security policy: the
Swagger UI (its start-up script served as a file) and the admin. A refused script or style
shows as a console error, which Desk records as a problem."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.ui.browser import Desk
from tests.ui.conftest import DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_swagger_ui_and_admin_work_under_the_policy(live_server, new_context):
    call_command("seed_demo", stdout=StringIO())
    desk = Desk(new_context, live_server.url)
    desk.expect_not_found("/favicon.ico")  # the admin's pages name no icon; Chromium asks
    page = desk.sign_in("admin", DESKTOP)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("IMS API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    # an operation opens (Swagger UI's own script at work)
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Configuration and records")).to_be_visible()
    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#result_list a", has_text="analyst").first.click()
    # the date and time shortcuts ("Today", "Now") are added by the admin's JavaScript
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()

    assert violations == [], violations
    assert desk.problems == [], desk.problems
