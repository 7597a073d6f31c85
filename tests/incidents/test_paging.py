"""incidents.paging: counts that stop at a cap, and pages that need no count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from incidents.paging import ListPage, RowCount, count_exactly, count_up_to, counts_up_to, page_number
from incidents.selectors import incident_queues
from tests.ui import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(make_user):
    reporter = make_user("end_user")
    return [factories.report(reporter) for _ in range(5)]


def test_a_count_shows_a_plus_beyond_its_cap():
    assert str(RowCount(999)) == "999"
    assert str(RowCount(1000, exact=False)) == "1,000+"
    assert str(RowCount(1_000_000)) == "1,000,000"


def test_count_up_to_is_exact_to_the_cap_and_capped_past_it(five):
    incidents = Incident.objects.all()
    assert count_up_to(incidents, cap=5) == RowCount(5)
    assert count_up_to(incidents, cap=4) == RowCount(4, exact=False)
    assert count_up_to(incidents.filter(title="no such"), cap=4) == RowCount(0)
    assert count_exactly(incidents) == RowCount(5)


def test_the_cap_is_read_when_counting(five, monkeypatch):
    from incidents import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    assert count_up_to(Incident.objects.all()) == RowCount(2, exact=False)


def test_all_queue_counts_take_one_statement(five, make_user):
    """Five capped counts, one round trip; a queue that cannot match anything (the team
    queue of someone in no team) costs none."""
    auditor = make_user("auditor")  # sees everything, belongs to no team
    queues = incident_queues(auditor, five[0].created_at)
    with CaptureQueriesContext(connection) as captured:
        counts = counts_up_to(queues, cap=3)
    assert len(captured) == 1
    assert counts == {
        "mine": RowCount(0),
        "team": RowCount(0),
        "unassigned": RowCount(3, exact=False),
        "breaching": RowCount(0),
        "all": RowCount(3, exact=False),
    }


def test_page_numbers_that_are_not_numbers_are_page_one():
    assert [page_number(v) for v in (None, "", "x", "0", "-3", "2", 7)] == [1, 1, 1, 1, 1, 2, 7]


def test_a_page_knows_whether_another_follows_without_a_count(five):
    rows = Incident.objects.order_by("id")
    first = ListPage(rows, number=1, per_page=2, count=RowCount(2, exact=False))
    assert [i.pk for i in first.object_list] == [i.pk for i in five[:2]]
    assert first.has_next and not first.has_previous and first.num_pages is None
    last = ListPage(rows, number=3, per_page=2, count=RowCount(2, exact=False))
    assert [i.pk for i in last.object_list] == [five[4].pk]
    assert not last.has_next and last.has_previous and last.previous_page_number() == 2
    # past the end: with a capped count nothing says where the end is, so the page is empty
    beyond = ListPage(rows, number=9, per_page=2, count=RowCount(2, exact=False))
    assert beyond.object_list == [] and beyond.has_previous and not beyond.has_next


def test_with_an_exact_count_a_page_past_the_end_is_the_last_page(five):
    page = ListPage(Incident.objects.order_by("id"), number=9, per_page=2, count=RowCount(5))
    assert page.number == 3 and page.num_pages == 3
    assert [i.pk for i in page.object_list] == [five[4].pk]


def test_a_later_page_reads_its_rows_by_id_in_one_statement(five):
    """Past the first page the rows come through their ids (``id IN (… LIMIT … OFFSET …)``),
    so the database joins one page of rows, not every row before it: same rows, same order."""
    rows = Incident.objects.select_related("affected_service").order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as captured:
        page = ListPage(rows, number=2, per_page=2, count=RowCount(5))
    assert [i.pk for i in page.object_list] == [i.pk for i in rows[2:4]]
    assert len(captured) == 1 and "OFFSET" in captured[0]["sql"] and " IN (SELECT" in captured[0]["sql"]
    assert page.has_next
    # a DISTINCT list is paged as it is (its ordering columns would join the id subquery)
    distinct = ListPage(rows.distinct(), number=2, per_page=2, count=RowCount(5))
    assert [i.pk for i in distinct.object_list] == [i.pk for i in rows[2:4]]
