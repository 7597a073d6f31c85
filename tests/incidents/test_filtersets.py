"""incidents.filtersets: the filters of the incident's own columns add no SELECT DISTINCT."""

import pytest
from django.http import QueryDict

from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from tests.ui import factories

pytestmark = pytest.mark.django_db


def test_multiple_choices_of_own_columns_neither_repeat_nor_deduplicate_rows(make_user):
    reporter = make_user("end_user")
    p1, p3 = factories.report(reporter, priority="P1"), factories.report(reporter, priority="P3")
    factories.report(reporter, priority="P2", category="network")
    params = QueryDict("status=open&status=in_progress&priority=P1&priority=P3&category=software")
    filtered = IncidentFilterSet(params, queryset=Incident.objects.all())
    assert filtered.is_valid()
    assert not filtered.qs.query.distinct
    assert sorted(filtered.qs.values_list("reference", flat=True)) == sorted([p1.reference, p3.reference])
