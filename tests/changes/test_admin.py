"""The admin shows changes read-only: every move is a change service."""

import pytest
from django.test import Client
from django.urls import reverse

from changes.models import Change

pytestmark = pytest.mark.django_db


def _site(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["admin", "im", "auditor"])
def test_changes_are_read_only_in_the_admin(cast, chg, make, who):
    incident = make("in_progress")
    change = chg("approved", incident=incident.reference)
    site = _site(getattr(cast, who))
    listing = site.get(reverse("admin:changes_change_changelist"))
    assert listing.status_code == 200 and change.reference in listing.content.decode()
    page = site.get(reverse("admin:changes_change_change", args=[change.pk]))
    assert page.status_code == 200 and incident.reference in page.content.decode()  # the link inline
    assert site.get(reverse("admin:changes_change_add")).status_code == 403
    posted = site.post(reverse("admin:changes_change_change", args=[change.pk]), {"summary": "Edited"})
    assert posted.status_code == 403
    deleted = site.post(reverse("admin:changes_change_delete", args=[change.pk]), {"post": "yes"})
    assert deleted.status_code == 403
    assert Change.objects.get(pk=change.pk).summary == change.summary


def test_the_admin_is_not_for_the_cab(cast):
    assert _site(cast.cm).get(reverse("admin:changes_change_changelist")).status_code == 302
