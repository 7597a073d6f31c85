"""The incident page's knowledge panel (knowledge/_incident_panel.html, registered through
incidents.related): linked articles, suggested ones, and the link and write-up forms."""

import re

from django.test import Client

from knowledge import services
from knowledge.models import Article
from tests.incidents.factories import incident_in


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel(html: str) -> str:
    return re.search(r'<section class="card kb-panel".*?</section>', html, re.S).group(0)


def test_staff_see_the_linked_articles_and_the_link_form(people, make, article):
    incident = make("in_progress")
    kb = article("published", incidents=[incident.reference])
    html = panel(client_for(people.analyst).get(f"/incidents/{incident.reference}/").content.decode())
    assert f'data-ref="{kb.reference}"' in html and 'data-action="link_kb"' in html
    assert 'data-action="kb_update"' not in html  # not before it is closed


def test_a_closed_incident_offers_the_write_up(people, make):
    incident = make("closed", title="Mail relay stuck")
    html = panel(client_for(people.l2).get(f"/incidents/{incident.reference}/").content.decode())
    assert 'data-action="kb_update"' in html and 'value="Mail relay stuck"' in html


def test_the_reporter_sees_published_articles_and_no_forms(people, make, article):
    incident = make("closed")
    published = article("published", incidents=[incident.reference])
    draft = article("draft", incidents=[incident.reference])
    html = panel(client_for(people.reporter).get(f"/incidents/{incident.reference}/").content.decode())
    assert published.reference in html and draft.reference not in html
    assert "data-action" not in html and "Suggested" not in html


def test_suggestions_by_title_and_by_service(people, make, article, svc):
    incident = make("open", title="VPN tunnel drops for remote staff")
    by_title = article("published", title="VPN tunnel resets", body="Renew the lease.")
    other_incident = make("closed", title="Something else entirely")
    by_service = article("published", title="Email gateway restarts", body="Restart it.",
                         incidents=[other_incident.reference])  # fmt: skip
    article("draft", title="VPN tunnel draft")  # not published: never suggested
    article("published", title="Printer toner", body="Replace the cartridge.")  # unrelated
    linked = article("published", title="VPN tunnel linked", incidents=[incident.reference])
    html = client_for(people.analyst).get(f"/incidents/{incident.reference}/").content.decode()
    suggested = re.search(r'<ul class="kb-suggested".*?</ul>', html, re.S).group(0)
    refs = re.findall(r'<li data-ref="(KB-\d+)">', suggested)
    assert set(refs) == {by_title.reference, by_service.reference} and linked.reference not in refs


def test_at_most_five_suggestions(people, make, article):
    incident = make("open", title="VPN drops")
    for n in range(7):
        article("published", title=f"VPN fix {n}")
    response = client_for(people.analyst).get(f"/incidents/{incident.reference}/")
    suggested = re.search(r'<ul class="kb-suggested".*?</ul>', response.content.decode(), re.S).group(0)
    assert len(re.findall(r"<li data-ref=", suggested)) == 5


def test_link_from_the_incident_page(people, make, article):
    incident, kb = make("in_progress"), article("published")
    response = client_for(people.analyst).post(
        f"/incidents/{incident.reference}/link-kb/", {"article": kb.reference, "version": incident.version}
    )
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.reference}/"
    assert Article.objects.get(pk=kb.pk).incidents.filter(pk=incident.pk).exists()


def test_a_refused_link_is_shown_once_beside_its_form(people, make):
    incident = make("in_progress")
    response = client_for(people.analyst).post(
        f"/incidents/{incident.reference}/link-kb/", {"article": "KB-999999"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and html.count("No KB article KB-999999.") == 1
    assert 'value="KB-999999"' in html


def test_write_up_from_the_incident_page(people, make):
    incident = make("closed")
    response = client_for(people.l2).post(
        f"/incidents/{incident.reference}/kb-update/",
        {"title": "Relay", "type": "resolution", "body": "Restart it.", "version": incident.version},
    )
    assert response.status_code == 302
    assert Article.objects.get().incidents.get() == incident


def test_a_write_up_before_closure_is_refused_on_its_form(people, make):
    incident = make("resolved")
    response = client_for(people.l2).post(
        f"/incidents/{incident.reference}/kb-update/", {"title": "Relay", "type": "resolution", "body": "B"}
    )
    message = f"{incident.reference} is resolved; only an incident that is closed can be written up in the"
    assert response.status_code == 409 and response.content.decode().count(message) == 1
    assert not Article.objects.exists()


def test_an_invisible_incident_is_not_found(people, make):
    secret = incident_in("open", category="security", team="L3")
    response = client_for(people.analyst).post(f"/incidents/{secret.reference}/link-kb/", {"article": "KB-1"})
    assert response.status_code == 404


def test_the_incident_page_links_to_the_article(people, make, article):
    incident = make("closed")
    _, kb = services.incident_kb_update(incident=incident.reference, actor=people.l2, title="T", body="B",
                                        type="resolution")  # fmt: skip
    html = client_for(people.l2).get(f"/incidents/{incident.reference}/").content.decode()
    assert f'href="/kb/{kb.reference}/"' in html and "kb_update" in html  # the timeline's event too
