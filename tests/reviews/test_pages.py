"""The PIR pages through the Django test client: the list with the API's filters, a
review's page offering exactly what the viewer may do (a refusal shown once, beside its
form), filing one, my action items, the overdue ones, and the incident page's panel."""

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from reviews.models import ActionItem, Review
from reviews.services.base import REVIEWS
from tests.reviews.conftest import tomorrow
from tests.sla.support import at


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panels(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def item_actions(html: str, number: int) -> list[str]:
    block = html.split(f'data-item="{number}"', 1)[1].split('class="action-item"', 1)[0]
    return re.findall(r'data-item-action="([a-z_]+)"', block)


def test_the_list_filters_like_the_api_and_the_nav_shows_it_to_incident_managers(people, make, file_review):
    first = file_review(make("resolved", priority="P1", title="Mail relay down"))
    second = file_review(make("closed", priority="P2", title="VPN flaps"))
    page = browser(people.im).get("/reviews/")
    assert page.status_code == 200
    html = page.content.decode()
    assert first.reference in html and second.reference in html
    assert (
        '<a href="/reviews/">Reviews</a>' in html and '<a href="/reviews/mine/">My action items</a>' in html
    )
    only_vpn = browser(people.im).get("/reviews/?q=vpn").content.decode()
    assert second.reference in only_vpn and first.reference not in only_vpn
    by_incident = browser(people.im).get(f"/reviews/?incident={first.incident.reference}&status=draft")
    assert (
        first.reference in by_incident.content.decode()
        and second.reference not in by_incident.content.decode()
    )
    bad = browser(people.im).get("/reviews/?created_after=yesterday").content.decode()
    assert "No post-incident reviews match these filters." in bad and 'role="alert"' in bad
    analyst = browser(people.analyst).get("/reviews/").content.decode()
    assert first.reference in analyst and '<a href="/reviews/">Reviews</a>' not in analyst
    assert "My action items" not in browser(people.reporter).get("/my/").content.decode()


def test_a_reviews_page_offers_exactly_the_allowed_actions(people, file_review):
    review = file_review(action_items=[
        {"description": "Alert on queue depth", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Runbook", "owner": people.l1.username},
    ])  # fmt: skip
    url = f"/reviews/{review.reference}/"
    for user, expected_panels, first_item, second_item in (
        (
            people.im,
            ["update", "complete", "add_item"],
            ["done", "cancel", "edit"],
            ["done", "cancel", "edit"],
        ),
        (people.l2, [], ["done", "cancel"], []),
        (people.analyst, [], [], []),
    ):
        html = browser(user).get(url).content.decode()
        allowed = REVIEWS.allowed_actions(user, review)
        assert panels(html) == [op for op in allowed if op != "update_item"] == expected_panels, user
        assert (item_actions(html, 1), item_actions(html, 2)) == (first_item, second_item), user
        assert "Alert on queue depth" in html and "Timeline" in html
    assert browser(people.reporter).get(url).status_code == 404


def test_a_refused_completion_is_shown_once_beside_its_form(people, file_review):
    review = file_review()
    client = browser(people.im)
    response = client.post(f"/reviews/{review.reference}/act/complete/", {"version": 1})
    assert response.status_code == 200
    html = response.content.decode()
    message = f"{review.reference} cannot be completed yet: fill in its lessons, KB articles."
    assert html.count(message) == 1
    assert re.search(r'<details class="action primary" id="act-complete" open', html)
    assert Review.objects.get(pk=review.pk).status == "draft"


def test_editing_adding_and_completing_from_the_page(people, file_review, article):
    review = file_review()
    client = browser(people.im)
    base = f"/reviews/{review.reference}/"
    texts = {"timeline": review.timeline, "contributing_factors": review.contributing_factors,
             "root_cause": review.root_cause}  # fmt: skip
    edited = client.post(
        base + "act/update/",
        {"version": 1, **texts, "lessons": "Alert earlier.", "kb_articles": article.reference.lower()},
    )
    assert edited.status_code == 302 and edited["Location"] == base
    item = {"description": "Runbook", "owner": people.l1.username, "due_date": tomorrow().isoformat()}
    added = client.post(base + "act/add_item/", {"version": 2, **item})
    assert added.status_code == 302
    assert client.post(base + "act/complete/", {"version": 3}).status_code == 302
    review = Review.objects.get(pk=review.pk)
    assert (review.status, review.lessons, review.action_items.count()) == ("completed", "Alert earlier.", 2)
    assert [a.reference for a in review.kb_articles.all()] == [article.reference]
    html = client.get(base).content.decode()
    assert panels(html) == [] and item_actions(html, 1) == ["done", "cancel"]


def test_the_reviews_kb_articles_link_to_the_articles(people, file_review, article):
    """A PIR's KB articles open from its page (the ITIL journey: it named them, unlinked)."""
    review = file_review(kb_articles=[article.reference])
    html = browser(people.im).get(f"/reviews/{review.reference}/").content.decode()
    kb = html.split('data-field="kb_articles"', 1)[1].split("</ul>", 1)[0]
    assert f'<a href="/kb/{article.reference}/">{article.reference}</a>' in kb


def test_a_refused_item_action_is_shown_once_beside_the_item(people, file_review):
    review = file_review(action_items=[
        {"description": "Mine", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Theirs", "owner": people.l1.username, "due_date": tomorrow()},
    ])  # fmt: skip
    owner = browser(people.l2)
    response = owner.post(f"/reviews/{review.reference}/items/2/done/", {"version": 1})
    html = response.content.decode()
    message = (
        f"Only the owner of action item 2 of {review.reference} ({people.l1.username}) or an incident "
        "manager may mark it done."
    )
    assert response.status_code == 200 and html.count(message) == 1
    block = html.split('data-item="2"', 1)[1].split('class="action-item"', 1)[0]
    assert message in block
    done = owner.post(f"/reviews/{review.reference}/items/1/done/", {"version": 1})
    assert done.status_code == 302
    assert ActionItem.objects.get(review=review, number=1).status == "done"
    bad_edit = browser(people.im).post(
        f"/reviews/{review.reference}/items/2/edit/", {"version": 2, "item2-due_date": "2001-01-01"}
    )
    html = bad_edit.content.decode()
    assert html.count("is in the past; give today") == 1 and 'data-item-action="edit" open' in html


def test_filing_a_pir_from_the_incident(people, make):
    incident = make("resolved", priority="P1")
    client = browser(people.im)
    page = client.get(f"/incidents/{incident.reference}/").content.decode()
    assert 'data-link="start_review"' in page and "Start the PIR" in page
    form = client.get(f"/reviews/new/?incident={incident.reference}")
    assert form.status_code == 200 and "File the review" in form.content.decode()
    refused = client.post("/reviews/new/", {"incident": incident.reference, "timeline": "T",
                                            "contributing_factors": "F", "root_cause": " "})  # fmt: skip
    assert refused.status_code == 200 and not Review.objects.exists()
    filed = client.post("/reviews/new/", {"incident": incident.reference, "timeline": "T",
                                          "contributing_factors": "F", "root_cause": "R"})  # fmt: skip
    review = Review.objects.get()
    assert filed.status_code == 302 and filed["Location"] == f"/reviews/{review.reference}/"
    page = client.get(f"/incidents/{incident.reference}/").content.decode()
    assert 'data-link="start_review"' not in page and f'href="/reviews/{review.reference}/"' in page
    again = client.get(f"/reviews/new/?incident={incident.reference}").content.decode()
    assert 'data-testid="existing"' in again and "File the review" not in again
    assert browser(people.analyst).get(f"/reviews/new/?incident={incident.reference}").status_code == 403
    assert browser(people.im).get("/reviews/new/?incident=INC-999999").status_code == 404


def test_a_one_off_p4_is_refused_on_the_page_once(people, make):
    incident = make("resolved", priority="P4")
    client = browser(people.im)
    assert 'data-link="start_review"' not in client.get(f"/incidents/{incident.reference}/").content.decode()
    assert (
        'data-testid="not-required"'
        in client.get(f"/reviews/new/?incident={incident.reference}").content.decode()
    )
    response = client.post("/reviews/new/", {"incident": incident.reference, "timeline": "T",
                                             "contributing_factors": "F", "root_cause": "R"})  # fmt: skip
    html = response.content.decode()
    assert html.count('data-testid="error"') == 1 and f"{incident.reference} is a one-off P4" in html
    assert not Review.objects.exists()


def test_my_action_items_and_the_overdue_ones(people, file_review):
    review = file_review(action_items=[
        {"description": "Alert on queue depth", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "Rotate the logs", "owner": people.l1.username, "due_date": tomorrow()},
    ])  # fmt: skip
    owner = browser(people.l2)
    mine = owner.get("/reviews/mine/").content.decode()
    assert "Alert on queue depth" in mine and "Rotate the logs" not in mine
    assert re.findall(r'data-item-action="([a-z_]+)"', mine) == ["done", "cancel"]
    assert "You own no action items." in browser(people.l3).get("/reviews/mine/").content.decode()
    assert "No action item is overdue." in browser(people.im).get("/reviews/overdue/").content.decode()
    with at(timezone.now() + timedelta(days=3)):
        overdue = browser(people.im).get("/reviews/overdue/").content.decode()
        assert "Alert on queue depth" in overdue and "Rotate the logs" in overdue and "2 days" in overdue
        assert "overdue" in browser(people.l2).get("/reviews/mine/").content.decode()
    done = owner.post(f"/reviews/{review.reference}/items/1/done/", {"next": "/reviews/mine/"})
    assert done.status_code == 302 and done["Location"] == "/reviews/mine/"
    again = owner.post(f"/reviews/{review.reference}/items/1/done/", {"next": "/reviews/mine/"}, follow=True)
    assert f"Action item 1 of {review.reference} is done; only an open action item can be marked done." in (
        again.content.decode()
    )
    offsite = browser(people.im).post(
        f"/reviews/{review.reference}/items/2/cancel/", {"next": "https://example.com/"}
    )
    assert (
        offsite.status_code == 302 and offsite["Location"] == f"/reviews/{review.reference}/"
    )  # never off-site
