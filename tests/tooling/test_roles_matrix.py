"""Role × operation for tool usages: who may record one on an incident assigned to their
team, on another team's, and who reads them (API list, as the incident's viewers)."""

import pytest

from core.errors import DomainError
from tooling.models import ToolUsage
from tooling.services import tool_usage_record

pytestmark = pytest.mark.django_db

# role -> (own team's incident, another team's incident)
RECORD = {
    "end_user": (False, False),
    "service_desk": (False, False),
    "service_desk_manager": (False, False),
    "l1": (False, False),
    "l2": (True, False),
    "l3": (True, False),
    "devops": (True, False),
    "facilities": (False, False),
    "change_manager": (False, False),
    "incident_manager": (True, True),
    "auditor": (False, False),
    "admin": (False, False),
}
TEAM = {"l1": "L1", "l2": "L2", "l3": "L3", "devops": "devops", "facilities": "facilities",
        "service_desk": "service_desk", "service_desk_manager": "service_desk",
        "incident_manager": "incident_manager", "change_manager": "change_mgmt"}  # fmt: skip


def _try(actor, incident) -> bool:
    try:
        tool_usage_record(incident=incident.reference, tool="monitoring", outcome="noted",
                          action_summary="Looked.", actor=actor)  # fmt: skip
    except DomainError:
        return False
    return True


ASSIGNABLE = {"L1", "L2", "L3", "devops", "facilities", "service_desk", "change_mgmt"}


@pytest.mark.parametrize("role", sorted(RECORD))
def test_record(make_user, make, role):
    """``own``: an incident assigned to the actor's team (to L1 when theirs takes none);
    ``other``: one assigned to another team. End users try on an incident they reported."""
    team = TEAM.get(role)
    actor = make_user(role, team=team) if team else make_user(role)
    own_team = team if team in ASSIGNABLE else "L1"
    reporter = {"reporter": actor} if role == "end_user" else {}
    own = make("in_progress", team=own_team, **reporter)
    other = make("in_progress", team="L2" if own_team == "L1" else "L1", **reporter)
    assert (_try(actor, own), _try(actor, other)) == RECORD[role]
    assert ToolUsage.objects.count() == sum(RECORD[role])


@pytest.mark.parametrize(
    "role, sees",
    [("end_user", False), ("service_desk", True), ("l1", True), ("auditor", True), ("admin", True),
     ("incident_manager", True), ("change_manager", True)],
)  # fmt: skip
def test_read(make_user, make, usage, api, role, sees):
    incident = make("in_progress", team="L1")
    usage(incident)
    body = api(make_user(role)).get("/api/v1/tool-usages/").json()
    assert len(body["results"]) == (1 if sees else 0)
