"""The admin: every page opens for an administrator; what configures the desk is audited
there exactly as through the services; incidents are read-only and scoped like the API."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Team, User
from audit.models import AuditEvent
from core.roles import user_roles
from incidents.models import VendorEngagement
from tests.incidents.factories import incident_in, make_staff, make_vendor

pytestmark = pytest.mark.django_db
PASSWORD = "pw-" + "x" * 12


@pytest.fixture
def root(make_user):
    return make_user("admin", username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def site(client, root):
    client.force_login(root)
    return client


def events(**filters):
    return AuditEvent.objects.filter(**filters).order_by("seq")


def user_form(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        # the admin posts these hidden initial values for fields with a callable default
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [g.pk for g in user.groups.all()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---- every page -----------------------------------------------------------------------
def _admin_pages():
    for model in admin.site._registry:
        opts = model._meta
        yield f"admin:{opts.app_label}_{opts.model_name}_changelist"
        yield f"admin:{opts.app_label}_{opts.model_name}_add"


@pytest.mark.parametrize("name", sorted(_admin_pages()))
def test_every_admin_list_and_add_page_opens_or_is_refused_for_the_administrator(site, name):
    response = site.get(reverse(name))
    # add pages of what is never added by hand (teams, incidents, audit events) refuse
    assert response.status_code in (200, 403), (name, response.status_code)
    if name.endswith("_changelist"):
        assert response.status_code == 200, name


def test_change_pages_of_the_configuration_open(site, root):
    team = Team.objects.get(code="L2")
    token, _ = ApiToken.issue(user=root, name="ci")
    for url in (
        reverse("admin:accounts_user_change", args=[root.pk]),
        reverse("admin:auth_user_password_change", args=[root.pk]),
        reverse("admin:accounts_team_change", args=[team.pk]),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
    ):
        assert site.get(url).status_code == 200, url


# ---- users and roles ---------------------------------------------------------------------
def test_changing_a_users_roles_is_audited_with_the_delta(site, make_user):
    dana = make_user("end_user", username="dana")
    l2 = Group.objects.get(name="l2")
    response = site.post(
        reverse("admin:accounts_user_change", args=[dana.pk]),
        user_form(dana, email="dana@ims.example", groups=[l2.pk]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert user_roles(User.objects.get(pk=dana.pk)) == {"l2"}
    (event,) = events(ref_type="user", ref_id="dana")
    assert (event.domain_action, event.actor_label) == ("update", "root")
    assert event.changes["roles"] == [["end_user"], ["l2"]]
    assert event.changes["email"] == ["", "dana@ims.example"]


def test_saving_a_user_unchanged_writes_no_event(site, make_user):
    dana = make_user("end_user", username="dana")
    response = site.post(reverse("admin:accounts_user_change", args=[dana.pk]), user_form(dana))
    assert response.status_code == 302
    assert list(events(ref_type="user").values_list("changes", flat=True)) == []


def test_a_refused_user_form_changes_nothing_and_writes_nothing(site, make_user):
    dana = make_user("end_user", username="dana")
    l3 = Group.objects.get(name="l3")
    before = AuditEvent.objects.count()
    response = site.post(
        reverse("admin:accounts_user_change", args=[dana.pk]),
        user_form(dana, username="", groups=[l3.pk]),
    )
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors
    assert user_roles(User.objects.get(pk=dana.pk)) == {"end_user"}
    assert AuditEvent.objects.count() == before


def test_adding_a_user_is_audited_without_the_password(site):
    response = site.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "erin",
            "usable_password": "true",
            "password1": "Tr1cky-pass-42",
            "password2": "Tr1cky-pass-42",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (event,) = events(ref_type="user", ref_id="erin")
    assert event.domain_action == "create"
    assert event.changes["username"] == [None, "erin"]
    assert event.changes["password"] == ["(hidden)", "(changed)"]
    assert "Tr1cky" not in str(event.changes)


def test_changing_a_password_in_the_admin_is_audited_without_it(site, make_user):
    dana = make_user("end_user", username="dana")
    response = site.post(
        reverse("admin:auth_user_password_change", args=[dana.pk]),
        {"usable_password": "true", "password1": "An0ther-pass-77", "password2": "An0ther-pass-77"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=dana.pk).check_password("An0ther-pass-77")
    (event,) = events(ref_type="user", ref_id="dana")
    assert event.changes == {"password": ["(hidden)", "(changed)"]}


def test_users_are_deactivated_never_deleted(site, make_user):
    dana = make_user("end_user", username="dana")
    assert site.get(reverse("admin:accounts_user_delete", args=[dana.pk])).status_code == 403
    assert (
        site.post(reverse("admin:accounts_user_delete", args=[dana.pk]), {"post": "yes"}).status_code == 403
    )
    assert User.objects.filter(pk=dana.pk).exists()


# ---- teams -------------------------------------------------------------------------------
def test_changing_team_members_is_audited(site, make_user):
    dana = make_user("l2", username="dana")
    team = Team.objects.get(code="L2")
    response = site.post(
        reverse("admin:accounts_team_change", args=[team.pk]),
        {"name": team.name, "email": "l2@ims.example", "members": [dana.pk]},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(team.members.values_list("username", flat=True)) == ["dana"]
    (event,) = events(ref_type="team", ref_id="L2")
    assert event.changes == {"email": ["", "l2@ims.example"], "members": [[], ["dana"]]}


# ---- tokens ------------------------------------------------------------------------------
def test_issuing_a_token_shows_the_key_once_and_is_audited(site, make_user):
    bot = make_user("incident_manager", username="bot")
    response = site.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": bot.pk, "name": "pager", "expires_at_0": "2030-01-01", "expires_at_1": "00:00:00"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=bot)
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1 and token.prefix in shown[0]
    assert token.expires_at.year == 2030
    (event,) = events(ref_type="api_token", ref_id="bot")
    assert event.domain_action == "create"
    assert set(event.changes) == {"token", "expires_at"}


def test_revoking_tokens_is_audited_once_and_they_stop_working(site, make_user):
    bot = make_user("incident_manager", username="bot")
    token, key = ApiToken.issue(user=bot, name="pager")
    changelist = reverse("admin:accounts_apitoken_changelist")
    for _ in range(2):
        response = site.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
        assert response.status_code == 302
    (event,) = events(ref_type="api_token", ref_id="bot", domain_action="update")
    assert "revoked_at" in event.changes
    # and stays revoked: the change form no longer edits it
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    response = site.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]), {"revoked_at_0": "", "revoked_at_1": ""}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/services/").status_code == 401


def test_tokens_cannot_be_deleted(site, root):
    token, _ = ApiToken.issue(user=root, name="ci")
    assert site.get(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403


# ---- incidents: read-only, scoped, security reads audited ----------------------------------
def test_incident_admin_is_read_only_and_audits_security_reads(site):
    secret = incident_in("pending_vendor", category="security", team="L3", vendor=make_vendor())
    ordinary = incident_in("open")
    page = site.get(reverse("admin:incidents_incident_change", args=[secret.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # no editable status field
    assert list(
        events(ref_id=secret.reference, domain_action="read").values_list("actor_label", flat=True)
    ) == ["root"]
    engagement = VendorEngagement.objects.get(incident=secret)
    assert (
        site.get(reverse("admin:incidents_vendorengagement_change", args=[engagement.pk])).status_code == 200
    )
    assert events(ref_id=secret.reference, domain_action="read").count() == 2
    assert site.get(reverse("admin:incidents_incident_change", args=[ordinary.pk])).status_code == 200
    assert not events(ref_id=ordinary.reference, domain_action="read").exists()
    assert (
        site.post(
            reverse("admin:incidents_incident_change", args=[ordinary.pk]), {"status": "closed"}
        ).status_code
        == 403
    )
    # the lists show it too: a read, unless this person read it within the window
    assert site.get(reverse("admin:incidents_incident_changelist")).status_code == 200
    assert site.get(reverse("admin:incidents_vendorengagement_changelist")).status_code == 200
    assert events(ref_id=secret.reference, domain_action="read").count() == 2
    auditor = make_staff("auditor")
    site.force_login(auditor)
    assert site.get(reverse("admin:incidents_vendorengagement_changelist")).status_code == 200
    assert site.get(reverse("admin:incidents_incident_changelist")).status_code == 200
    (listed,) = events(ref_id=secret.reference, domain_action="read", actor_label=auditor.username)
    assert listed.additional_data == {"via": "admin"}


# ---- who may use the admin: roles, not Django permissions ---------------------------------
@pytest.mark.parametrize(
    ("roles", "staff", "allowed", "refused"),
    [
        (["admin"], False, ["accounts_user", "accounts_team", "catalog_service", "sla_slapolicy"], []),
        (
            ["incident_manager"],
            False,
            ["catalog_service", "catalog_businesscalendar", "sla_slapolicy", "incidents_incident",
             "audit_auditevent"],
            ["accounts_user", "accounts_apitoken"],
        ),
        (["auditor"], False, ["accounts_user", "audit_auditevent", "incidents_incident", "sla_slaevent"], []),
        (["service_desk_manager"], True, [], ["incidents_incident", "accounts_user", "catalog_service"]),
    ],
    ids=["admin-role", "incident-manager", "auditor", "staff-without-an-admin-role"],
)  # fmt: skip
def test_the_admin_answers_to_roles(client, roles, staff, allowed, refused):
    user = make_staff(*roles)
    user.is_staff = staff
    user.save()
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 200
    for page in allowed:
        assert client.get(reverse(f"admin:{page}_changelist")).status_code == 200, page
    for page in refused:
        assert client.get(reverse(f"admin:{page}_changelist")).status_code == 403, page


@pytest.mark.parametrize("roles", [["service_desk"], ["l2"], ["end_user"], []])
def test_other_roles_are_sent_to_the_admin_login(client, roles):
    client.force_login(make_staff(*roles))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_auditor_reads_accounts_but_changes_nothing(client, make_user):
    auditor = make_staff("auditor")
    dana = make_user("end_user", username="dana")
    client.force_login(auditor)
    assert client.get(reverse("admin:accounts_user_change", args=[dana.pk])).status_code == 200
    l3 = Group.objects.get(name="l3")
    response = client.post(
        reverse("admin:accounts_user_change", args=[dana.pk]), user_form(dana, groups=[l3.pk])
    )
    assert response.status_code == 403
    assert user_roles(User.objects.get(pk=dana.pk)) == {"end_user"}
    assert not events(ref_type="user").exists()


def test_an_administrator_by_role_grants_roles_but_not_superuser(client, make_user):
    from accounts.services import user_provision

    boss, _ = user_provision(username="boss", roles=["admin"])
    dana = make_user("end_user", username="dana")
    client.force_login(boss)
    im = Group.objects.get(name="incident_manager")
    response = client.post(
        reverse("admin:accounts_user_change", args=[dana.pk]),
        user_form(dana, groups=[im.pk], is_superuser="on"),
    )
    assert response.status_code == 302
    dana = User.objects.get(pk=dana.pk)
    assert user_roles(dana) == {"incident_manager"} and not dana.is_superuser
    (event,) = events(ref_type="user", ref_id="dana")
    assert event.actor_label == "boss" and "is_superuser" not in event.changes
    # nor issue a token that acts as a superuser
    root = make_user(username="root", is_superuser=True, is_staff=True)
    response = client.post(reverse("admin:accounts_apitoken_add"), {"user": root.pk, "name": "x"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not ApiToken.objects.exists()
    # nor take over a superuser: the password page and the change form are refused
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_change", args=[root.pk]), user_form(root, email="boss@evil.example")
    )
    assert response.status_code == 403
    assert User.objects.get(pk=root.pk).email == ""


# ---- calendars and vendor contacts: audited with their rows --------------------------------
def calendar_form(calendar, closures=(), **overrides):
    data = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "working_days": str(calendar.working_days),
        "initial-working_days": str(calendar.working_days),  # hidden: a callable default
        "day_start": calendar.day_start.strftime("%H:%M"),
        "day_end": calendar.day_end.strftime("%H:%M"),
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
        "closures-TOTAL_FORMS": str(len(closures)),
        "closures-INITIAL_FORMS": "0",
        "closures-MIN_NUM_FORMS": "0",
        "closures-MAX_NUM_FORMS": "1000",
    }
    for n, (day, reason) in enumerate(closures):
        data[f"closures-{n}-date"], data[f"closures-{n}-reason"] = day, reason
    data.update(overrides)
    return data


def test_editing_a_calendar_is_audited_with_its_closures(client):
    from catalog.models import BusinessCalendar

    client.force_login(make_staff("incident_manager"))
    calendar = BusinessCalendar.objects.create(name="Ops", working_days=[1, 2, 3, 4, 5])
    response = client.post(
        reverse("admin:catalog_businesscalendar_change", args=[calendar.pk]),
        calendar_form(calendar, closures=[("2026-12-24", "Office closed")], time_zone="Europe/London"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (event,) = events(ref_type="calendar", ref_id="Ops")
    assert event.changes == {
        "time_zone": ["UTC", "Europe/London"],
        "calendar_closures": [[], [{"date": "2026-12-24", "reason": "Office closed"}]],
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'"),
        ("working_days", "[0, 8]", "List the working ISO weekdays"),
        ("day_end", "08:00", "The working day must end after it starts"),
        ("holiday_country", "XX", "No public holidays are known for 'XX'"),
        ("holiday_subdivision", "ZZZ", "A region needs its country"),
    ],
)
def test_a_calendar_the_sla_engine_cannot_use_is_refused(client, field, value, message):
    from catalog.models import BusinessCalendar

    client.force_login(make_staff("admin"))
    calendar = BusinessCalendar.objects.create(name="Ops", working_days=[1, 2, 3, 4, 5])
    response = client.post(
        reverse("admin:catalog_businesscalendar_change", args=[calendar.pk]),
        calendar_form(calendar, **{field: value}),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field]), errors
    stored = BusinessCalendar.objects.get(pk=calendar.pk)
    assert (stored.time_zone, stored.working_days, stored.holiday_country) == ("UTC", [1, 2, 3, 4, 5], "")
    assert not events(ref_type="calendar").exists()


def test_editing_vendor_contacts_is_audited(client):
    from catalog.services import vendor_create

    manager = make_staff("incident_manager")
    client.force_login(manager)
    vendor = vendor_create(actor=manager, name="Acme")
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("admin:catalog_vendor_change", args=[vendor.pk]),
        {
            "name": "Acme",
            "website": "",
            "support_portal": "",
            "notes": "",
            "is_active": "on",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
            "contacts-0-name": "NOC",
            "contacts-0-email": "noc@acme.example",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact_events = events(ref_id=vendor.reference, seq__gt=before, changes__has_key="vendor_contacts")
    (event,) = contact_events
    assert event.changes["vendor_contacts"] == [
        [],
        [{"name": "NOC", "role": "", "email": "noc@acme.example", "phone": ""}],
    ]


def test_the_incident_admin_is_scoped_by_the_visibility_selector(client, monkeypatch):
    """Every role that may open the admin sees all incidents today; the admin still reads
    through incidents_visible_to, so a narrower role would see only its own."""
    from incidents import admin as incidents_admin

    manager = make_staff("incident_manager")
    secret = incident_in("open", category="security")
    ordinary = incident_in("open")
    monkeypatch.setattr(
        incidents_admin, "incidents_visible_to", lambda user: type(secret).objects.filter(pk=ordinary.pk)
    )
    client.force_login(manager)
    listing = client.get(reverse("admin:incidents_incident_changelist"))
    assert listing.status_code == 200
    assert [row.reference for row in listing.context["cl"].result_list] == [ordinary.reference]
    page = client.get(reverse("admin:incidents_incident_change", args=[secret.pk]))
    assert page.status_code == 302  # the admin's "does not exist" redirect
    assert not events(ref_id=secret.reference, domain_action="read").exists()


def test_editing_a_tokens_expiry_goes_through_the_service(site, make_user):
    bot = make_user("incident_manager", username="bot")
    token, _ = ApiToken.issue(user=bot, name="pager")
    response = site.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"expires_at_0": "2031-02-03", "expires_at_1": "04:05:06", "revoked_at_0": "", "revoked_at_1": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ApiToken.objects.get(pk=token.pk).expires_at.year == 2031
    (event,) = events(ref_type="api_token", ref_id="bot")
    assert event.changes["expires_at"] == [None, "2031-02-03T04:05:06+00:00"]
