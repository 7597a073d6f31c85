"""Recipient groups resolve to the addresses of real people."""

import pytest

from accounts.models import Team
from communications.recipients import resolve_addresses, subject_contacts
from communications.services import communication_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def l2_team(people):
    people.l2.email, people.l2b.email = "l2a@example.com", "L2B@example.com"
    people.l2.save()
    people.l2b.save()
    return Team.objects.get(code="L2")


def test_end_users_and_reporter_are_the_incidents_reporter(make, reporter_email):
    inc = make("in_progress")
    assert resolve_addresses(inc.reference, ["end_users"]) == [reporter_email]
    assert resolve_addresses(inc.reference, ["reporter"]) == [reporter_email]


def test_it_staff_are_the_assigned_teams_active_members(make, people, l2_team):
    inc = make("in_progress")
    type(inc).objects.filter(pk=inc.pk).update(assigned_team=l2_team)
    people.l2b.is_active = False
    people.l2b.save()
    assert resolve_addresses(inc.reference, ["IT_staff"]) == ["l2a@example.com"]


def test_team_is_the_team_named_in_recipient_detail(make, l2_team):
    inc = make("in_progress")
    assert resolve_addresses(inc.reference, ["team"], "L2") == ["l2a@example.com", "l2b@example.com"]
    assert resolve_addresses(inc.reference, ["team"], "L2 support") == ["l2a@example.com", "l2b@example.com"]
    assert resolve_addresses(inc.reference, ["team"], "nope") == []


def test_executives_are_the_configured_team(make, people, l2_team, settings):
    inc = make("in_progress")
    assert resolve_addresses(inc.reference, ["executives"]) == []  # no "executives" team
    settings.IMS_EXECUTIVES_TEAM = "L2"
    assert resolve_addresses(inc.reference, ["executives"]) == ["l2a@example.com", "l2b@example.com"]


def test_stakeholders_are_the_configured_list(make, settings):
    inc = make("in_progress")
    settings.IMS_STAKEHOLDER_EMAILS = ["cfo@example.com", " "]
    assert resolve_addresses(inc.reference, ["stakeholders"]) == ["cfo@example.com"]


def test_an_unknown_subject_has_no_contacts(db):
    assert subject_contacts("INC-999999").reporter == ()
    assert subject_contacts("XYZ-1").assigned_team == ()


def test_a_communication_to_several_groups_writes_one_row_per_address(make, people, l2_team, reporter_email):
    inc = make("in_progress")
    comm = communication_record(
        subject_ref=inc.reference, sender=people.im, recipients=["end_users", "team"], recipient_detail="L2",
        message="m", channel="email",
    )  # fmt: skip
    addresses = list(comm.deliveries.order_by("address").values_list("address", flat=True))
    assert addresses == ["l2a@example.com", "l2b@example.com", reporter_email]
