"""Delivery status where people read it: the communications API, the incident page's
timeline (in a constant number of queries) and the admin (the outbox read-only, webhook
endpoints configured and audited)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from communications import outbox
from communications.models import Delivery, WebhookEndpoint
from communications.services import communication_record
from incidents import services

pytestmark = pytest.mark.django_db

DEAD_SMTP = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
             "EMAIL_PORT": 1, "EMAIL_TIMEOUT": 2}  # fmt: skip


def count(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _emails(inc, people, n):
    for i in range(n):
        communication_record(
            subject_ref=inc.reference,
            sender=people.im,
            recipients=["end_users"],
            message=f"m{i}",
            channel="email",
        )


def _failing_once(settings):
    for name, value in DEAD_SMTP.items():
        setattr(settings, name, value)
    outbox.drain()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_api_shows_each_delivery(make, people, reporter_email, api, settings):
    inc = make("in_progress")
    _, comm = services.incident_communicate(
        incident=inc.reference, actor=people.im, recipients=["end_users"], message="Back.", channel="email"
    )
    _failing_once(settings)
    response = api(people.im).get(f"/api/v1/incidents/{inc.reference}/communications/")
    assert response.status_code == 200
    [row] = [c for c in response.json() if c["id"] == comm.reference]
    assert row["delivery_status"] == "pending"
    [delivery] = row["deliveries"]
    assert delivery["channel"] == "email" and delivery["address"] == reporter_email
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert "ConnectionRefusedError" in delivery["last_error"] and delivery["sent_at"] is None
    outbox.drain(now=timezone.now() + timedelta(seconds=31))
    row = next(c for c in api(people.im).get(f"/api/v1/incidents/{inc.reference}/communications/").json()
               if c["id"] == comm.reference)  # fmt: skip
    assert row["delivery_status"] == "sent"
    assert row["deliveries"][0]["status"] == "sent" and row["deliveries"][0]["attempts"] == 2


def test_the_api_communications_cost_the_same_for_5_and_50(make, people, reporter_email, api):
    inc = make("in_progress")
    client = api(people.im)
    url = f"/api/v1/incidents/{inc.reference}/communications/"
    _emails(inc, people, 5)
    five = count(client, url)
    _emails(inc, people, 45)
    assert count(client, url) == five


def test_the_incident_page_timeline_shows_the_delivery_status(make, people, reporter_email, settings):
    inc = make("in_progress")
    services.incident_communicate(
        incident=inc.reference, actor=people.im, recipients=["end_users"], message="Back.", channel="email"
    )
    _failing_once(settings)
    page = browser(people.im).get(reverse("incident-page", args=[inc.reference])).content.decode()
    assert "email: pending, 1 attempt — ConnectionRefusedError" in page
    mine = browser(people.reporter).get(reverse("incident-page", args=[inc.reference])).content.decode()
    assert "email: pending, 1 attempt</p>" in mine  # the reason is for staff
    assert "ConnectionRefusedError" not in mine
    outbox.drain(now=timezone.now() + timedelta(seconds=31))
    page = browser(people.im).get(reverse("incident-page", args=[inc.reference])).content.decode()
    assert "email: sent, 2 attempts</p>" in page


def test_the_incident_page_and_api_cost_the_same_for_5_and_50_delivered_communications(
    make, people, reporter_email, api
):
    inc = make("in_progress")
    page, client = browser(people.im), api(people.im)
    page_url, api_url = reverse("incident-page", args=[inc.reference]), f"/api/v1/incidents/{inc.reference}/"
    _emails(inc, people, 5)
    outbox.drain()
    five = count(page, page_url), count(client, api_url)
    _emails(inc, people, 45)
    outbox.drain()
    assert Delivery.objects.filter(status="sent").count() == 50
    assert (count(page, page_url), count(client, api_url)) == five


# ---- admin -------------------------------------------------------------------------------
@pytest.fixture
def site(client, make_user):
    client.force_login(make_user("admin", username="root", is_staff=True, is_superuser=True))
    return client


def test_a_webhook_endpoint_is_configured_in_the_admin_and_audited_without_its_secret(site):
    response = site.post(
        reverse("admin:communications_webhookendpoint_add"),
        {
            "name": "ops",
            "url": "https://hooks.example.com/ims",
            "kind": "slack",
            "secret": "s3cret",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.kind, endpoint.secret) == ("slack", "s3cret")
    [event] = AuditEvent.objects.filter(ref_type="webhook_endpoint")
    assert event.domain_action == "create" and event.ref_id == "ops"
    assert event.changes["secret"] == ["(hidden)", "(changed)"]
    assert "s3cret" not in str(event.changes)


def test_the_outbox_is_read_only_in_the_admin(site, make, people, reporter_email):
    inc = make("in_progress")
    _emails(inc, people, 1)
    row = Delivery.objects.get()
    assert site.get(reverse("admin:communications_delivery_changelist")).status_code == 200
    assert site.get(reverse("admin:communications_delivery_change", args=[row.pk])).status_code == 200
    assert site.get(reverse("admin:communications_delivery_add")).status_code == 403
    response = site.post(reverse("admin:communications_delivery_change", args=[row.pk]), {"status": "sent"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == "pending"


# who may read the outbox and configure endpoints (the drain itself is no one's operation)
ADMIN_MATRIX = [
    # role,              outbox list, endpoints list, add endpoint
    ("admin",              200, 200, 200),
    ("incident_manager",   200, 403, 403),
    ("auditor",            200, 403, 403),
    ("service_desk",       403, 403, 403),
    ("end_user",           302, 302, 302),
]  # fmt: skip


@pytest.mark.parametrize("role,outbox_list,endpoints,add", ADMIN_MATRIX)
def test_admin_pages_by_role(client, make_user, role, outbox_list, endpoints, add):
    client.force_login(make_user(role, is_staff=role != "end_user"))
    got = tuple(
        client.get(reverse(name)).status_code
        for name in (
            "admin:communications_delivery_changelist",
            "admin:communications_webhookendpoint_changelist",
            "admin:communications_webhookendpoint_add",
        )
    )
    assert got == (outbox_list, endpoints, add)


def test_a_reporter_sees_their_own_delivery_without_the_reason(make, people, reporter_email, api, settings):
    people.l2.email = "l2@example.com"
    people.l2.save()
    inc = make("in_progress")
    comm = communication_record(
        subject_ref=inc.reference, sender=people.im, recipients=["end_users", "team"], recipient_detail="L2",
        message="m", channel="email",
    )  # fmt: skip
    _failing_once(settings)
    url = f"/api/v1/incidents/{inc.reference}/communications/"
    staff = next(c for c in api(people.im).get(url).json() if c["id"] == comm.reference)
    assert sorted(d["address"] for d in staff["deliveries"]) == ["l2@example.com", reporter_email]
    mine = next(c for c in api(people.reporter).get(url).json() if c["id"] == comm.reference)
    assert [(d["address"], d["status"], d["attempts"], d["last_error"]) for d in mine["deliveries"]] == [
        (reporter_email, "pending", 1, "")
    ]
