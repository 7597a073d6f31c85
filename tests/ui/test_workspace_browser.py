"""The workspace's filter panel in Chromium: folded on a phone until a filter is set, always
open on a desktop (and open everywhere without JavaScript: see test_access)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.ui.browser import Desk, no_horizontal_overflow
from tests.ui.conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_filters_fold_on_a_phone_and_stay_open_on_a_desktop(live_server, new_context):
    call_command("seed_demo", stdout=StringIO())
    desk = Desk(new_context, live_server.url)

    phone = desk.sign_in("analyst", PHONE)
    panel = phone.locator("[data-more-filters]")
    status = phone.locator("select[name=status]")
    expect(panel.locator("summary")).to_be_visible()
    expect(status).to_be_hidden()
    expect(phone.locator("[data-search]")).to_be_visible()  # search stays at hand
    panel.locator("summary").click()
    status.select_option("open")
    phone.get_by_role("button", name="Filter").click()
    expect(phone).to_have_url(re.compile(r"status=open"))
    # a filter is set: the panel stays open and counts it
    expect(phone.locator("select[name=status]")).to_be_visible()
    expect(phone.locator("[data-more-filters] summary")).to_have_text("Filters 1")
    assert no_horizontal_overflow(phone), "the workspace is wider than a 375 px phone"

    desktop = desk.sign_in("l1", DESKTOP)
    expect(desktop.locator("select[name=status]")).to_be_visible()
    expect(desktop.locator("[data-more-filters] summary")).to_be_hidden()

    assert desk.problems == [], "\n".join(desk.problems)
