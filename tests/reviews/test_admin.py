"""The admin: reviews and action items read-only and scoped like the API; the review
policy edited by incident managers and administrators, each save audited."""

from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from reviews.models import ReviewPolicy

POLICY = reverse("admin:reviews_reviewpolicy_change", args=[1])


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_reviews_and_items_are_read_only(people, file_review):
    review = file_review()
    for user in (people.im, people.auditor, people.admin):
        client = admin_client(user)
        listing = client.get(reverse("admin:reviews_review_changelist"))
        assert listing.status_code == 200 and review.reference in listing.content.decode()
        page = client.get(reverse("admin:reviews_review_change", args=[review.pk]))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.get(reverse("admin:reviews_actionitem_changelist")).status_code == 200
        assert client.get(reverse("admin:reviews_review_add")).status_code == 403
        posted = client.post(reverse("admin:reviews_review_change", args=[review.pk]), {"lessons": "x"})
        assert posted.status_code == 403
    outsider = admin_client(people.l2).get(reverse("admin:reviews_review_changelist"))
    assert outsider.status_code == 302  # to the admin's login


def test_the_policy_is_edited_and_audited(people):
    client = admin_client(people.im)
    assert client.get(POLICY).status_code == 200
    assert client.get(reverse("admin:reviews_reviewpolicy_add")).status_code == 403  # one row only
    saved = client.post(POLICY, {"recurrence_count": 4, "recurrence_window_days": 30})
    assert saved.status_code == 302
    assert ReviewPolicy.current().recurrence_count == 4
    [event] = AuditEvent.objects.filter(ref_type="review_policy")
    assert (event.ref_id, event.domain_action, event.actor) == ("review-policy", "update", people.im)
    assert event.changes == {"recurrence_count": [3, 4]}


def test_a_policy_out_of_bounds_is_refused_and_nothing_written(people):
    client = admin_client(people.admin)
    refused = client.post(POLICY, {"recurrence_count": 1, "recurrence_window_days": 30})
    assert refused.status_code == 200
    assert "Ensure this value is greater than or equal to 2." in refused.content.decode()
    assert ReviewPolicy.current().recurrence_count == 3
    assert not AuditEvent.objects.filter(ref_type="review_policy").exists()
    auditor = admin_client(people.auditor)
    assert auditor.post(POLICY, {"recurrence_count": 5, "recurrence_window_days": 30}).status_code == 403
