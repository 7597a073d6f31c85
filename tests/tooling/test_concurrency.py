"""Scripts recorded at once for one service and category count each other (PostgreSQL):
of the second and third use racing, exactly one is flagged an automation candidate."""

import pytest

from catalog.models import Service
from tests.incidents.factories import incident_in
from tests.incidents.test_concurrency import race
from tooling.models import ToolUsage
from tooling.services import tool_usage_record

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SCRIPT = {"tool": "automation_script", "outcome": "applied", "action_summary": "Ran clear-queue.sh"}


def test_racing_scripts_flag_exactly_one_candidate(make_user):
    im, other = make_user("incident_manager", team="incident_manager"), make_user("incident_manager")
    for n in range(3):
        service = Service.objects.create(name=f"Queue {n}")
        incidents = [incident_in("open", actor=im, service=service) for _ in range(3)]
        tool_usage_record(incident=incidents[0].reference, actor=im, **SCRIPT)
        outcomes = race(
            lambda ref=incidents[1].reference: tool_usage_record(incident=ref, actor=im, **SCRIPT),
            lambda ref=incidents[2].reference: tool_usage_record(incident=ref, actor=other, **SCRIPT),
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        flags = sorted(
            ToolUsage.objects.filter(service=service).values_list("automation_candidate", flat=True)
        )
        assert flags == [False, False, True]
