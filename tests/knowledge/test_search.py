"""Search by any word of the title or body (knowledge.search): full text with ranking on
PostgreSQL, every word on SQLite; readers search what they read, the published version."""

import pytest
from django.db import connection

from knowledge import services
from knowledge.selectors import article_search, articles_visible_to


def found(user, text: str) -> list[str]:
    return list(article_search(articles_visible_to(user), text, user).values_list("reference", flat=True))


def test_a_reader_finds_a_published_article_by_a_word_of_its_body_and_not_a_draft(people, article):
    published = article("published", body="Restart the VPN client.\nThen renew the DHCP lease.")
    article("draft", body="Renew the certificate on the gateway.")
    assert found(people.reporter, "lease") == [published.reference]
    assert found(people.reporter, "renew") == [published.reference]  # the draft also says it: not theirs
    assert found(people.reporter, "gateway") == []


def test_staff_find_drafts_too(people, article):
    draft = article("draft", body="Renew the certificate on the gateway.")
    assert found(people.analyst, "gateway certificate") == [draft.reference]


def test_every_word_must_appear_in_the_title_or_the_body(people, article):
    both = article("published", title="Printer jams", body="Open tray two and clear the paper.")
    article("published", title="Printer offline", body="Power cycle it.")
    assert found(people.reporter, "printer paper") == [both.reference]
    assert found(people.reporter, "PRINTER") and found(people.reporter, "printer toner") == []


def test_readers_search_the_published_version_while_staff_search_the_revision(people, article):
    published = article("published", body="Restart the VPN client.")
    services.article_revise(article=published.reference, actor=people.l2, body="Reinstall the VPN client.")
    assert found(people.reporter, "reinstall") == []
    assert found(people.reporter, "restart") == [published.reference]
    assert found(people.l2, "reinstall") == [published.reference]


def test_a_retired_article_is_found_by_staff_only(people, article):
    retired = article("retired", body="Legacy mail relay steps.")
    assert found(people.reporter, "relay") == []
    assert found(people.analyst, "relay") == [retired.reference]


def test_the_vector_follows_every_edit(people, article):
    draft = article("draft", body="Restart the VPN client.")
    services.article_edit(article=draft.reference, actor=people.analyst, body="Flush the DNS cache.")
    assert found(people.analyst, "restart") == []
    assert found(people.analyst, "flush") == [draft.reference]


def test_a_title_match_ranks_above_a_body_match(people, article):
    in_body = article("published", title="Mail delays", body="Check the firewall rules first.")
    in_title = article("published", title="Firewall blocks mail", body="Open port 25 outbound.")
    assert found(people.reporter, "firewall") == [in_title.reference, in_body.reference]


def test_nothing_searchable_finds_nothing(people, article):
    article("published")
    assert found(people.reporter, "!!!") == []


@pytest.mark.postgres
def test_postgres_stems_words_and_ranks(people, article):
    one = article("published", title="VPN restarts", body="The client restarts itself when the lease ends.")
    article("published", title="Printer", body="Nothing about networks.")
    rows = list(article_search(articles_visible_to(people.reporter), "restarting", people.reporter))
    assert [r.reference for r in rows] == [one.reference] and rows[0].rank > 0
    assert found(people.reporter, '"lease ends"') == [one.reference]  # a phrase
    assert found(people.reporter, "client -printer") == [one.reference]  # an excluded word


@pytest.mark.postgres
def test_postgres_has_the_gin_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'knowledge_article'")
        indexes = dict(cursor.fetchall())
    assert "USING gin (search_vector)" in indexes["kb_search_gin"]
    assert "USING gin (published_search_vector)" in indexes["kb_published_search_gin"]


@pytest.mark.postgres
def test_postgres_search_uses_the_index(people, article):
    """Staff search the working copies' vector (a reader's search adds the published-version
    filter, so on a table this small the planner may take that column's index instead;
    bench/kb_search.py shows the GIN index at 100,000 articles)."""
    article("published", body="Restart the VPN client.")
    query = article_search(articles_visible_to(people.analyst), "restart", people.analyst)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole otherwise
        plan = query.explain()
    assert "kb_search_gin" in plan
