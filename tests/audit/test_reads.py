"""Issue 15, defect 9: reading the audit trail is itself audited, one ``read`` event per
request (ref_type ``audit``), over the API and in the admin."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.audit.test_trail import record


def reads():
    return list(AuditEvent.objects.filter(ref_type="audit").order_by("seq"))


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="aud", email="aud@example.com", is_staff=True)


def test_listing_the_trail_over_the_api_is_a_read_with_its_filters(api, auditor):
    record(2)
    response = api(auditor).get("/api/v1/audit/?ref=SVC-000001&action=update&page_size=10")
    assert response.status_code == 200
    assert response.json()["count"] == 2  # the trail as it was when asked
    (read,) = reads()
    assert (read.domain_action, read.ref_type, read.ref_id, read.actor, read.actor_label) == (
        "read",
        "audit",
        "trail",
        auditor,
        "aud",
    )
    assert read.additional_data == {
        "via": "api",
        "filters": {"ref": "SVC-000001", "action": "update", "page_size": "10"},
    }
    assert read.hash == read.compute_hash()


def test_opening_an_event_over_the_api_is_a_read_of_it(api, auditor):
    events = record(2)
    assert api(auditor).get("/api/v1/audit/2/").json()["seq"] == 2
    (read,) = reads()
    assert (read.ref_id, read.object_pk, read.additional_data) == ("2", str(events[1].pk), {"via": "api"})


def test_one_read_per_request(api, auditor):
    record()
    client = api(auditor)
    client.get("/api/v1/audit/")
    client.get("/api/v1/audit/")
    client.get("/api/v1/audit/1/")
    assert [r.ref_id for r in reads()] == ["trail", "trail", "1"]


def test_a_refused_read_writes_nothing(api, make_user):
    record()
    assert api(make_user("service_desk")).get("/api/v1/audit/").status_code == 403
    assert api(make_user("auditor")).get("/api/v1/audit/99/").status_code == 404
    assert reads() == []


def test_the_admin_changelist_of_the_trail_is_a_read_with_its_filters(client, auditor):
    record(2)
    client.force_login(auditor)
    response = client.get(reverse("admin:audit_auditevent_changelist") + "?domain_action__exact=update&q=SVC")
    assert response.status_code == 200
    (read,) = reads()
    assert (read.ref_id, read.actor_label) == ("trail", "aud")
    assert read.additional_data == {"via": "admin", "filters": {"domain_action__exact": "update", "q": "SVC"}}


def test_the_admin_changelist_shows_the_trail_as_it_was_asked(client, auditor):
    record()
    client.force_login(auditor)
    url = reverse("admin:audit_auditevent_changelist")
    assert ">trail<" not in client.get(url).content.decode()  # not its own read
    assert ">trail<" in client.get(url).content.decode()  # the previous request's read
    assert len(reads()) == 2


def test_the_admin_change_view_of_an_event_is_a_read_of_it(client, auditor):
    events = record(2)
    client.force_login(auditor)
    response = client.get(reverse("admin:audit_auditevent_change", args=[events[0].pk]))
    assert response.status_code == 200
    (read,) = reads()
    assert (read.ref_id, read.object_pk, read.additional_data) == ("1", str(events[0].pk), {"via": "admin"})


def test_the_admin_refuses_without_writing_a_read(client, make_user):
    record()
    client.force_login(make_user("service_desk", is_staff=True))
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    assert reads() == []
