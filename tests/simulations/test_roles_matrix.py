"""Role × operation for simulations: incident managers only; auditors read; others see none."""

import pytest

from core.errors import DomainError
from simulations import services

pytestmark = pytest.mark.django_db
ROLES = ["end_user", "service_desk", "service_desk_manager", "l1", "l2", "l3", "devops", "facilities",
         "change_manager", "incident_manager", "auditor", "admin"]  # fmt: skip
AT = "2026-12-01T10:00:00Z"


def _ok(call) -> bool:
    try:
        call()
    except DomainError:
        return False
    return True


@pytest.mark.parametrize("role", ROLES)
def test_every_operation(make_user, people, sim, api, role):
    actor = make_user(role)
    runs = role == "incident_manager"
    planned, running = sim(), sim("running")
    planned_ref, running_ref = planned.reference, running.reference
    results = {
        "create": _ok(lambda: services.simulation_create(actor=actor, scenario="x", scope="y")),
        "add_inject": _ok(
            lambda: services.simulation_add_inject(
                simulation=planned_ref, actor=actor, at=AT, description="x"
            )
        ),
        "start": _ok(lambda: services.simulation_start(simulation=planned_ref, actor=actor)),
        "add_follow_up": _ok(
            lambda: services.simulation_add_follow_up(
                simulation=running_ref, actor=actor, description="x", owner=people.l2.username
            )
        ),
        "complete": _ok(
            lambda: services.simulation_complete(simulation=running_ref, actor=actor, outcomes="x")
        ),
    }
    assert results == dict.fromkeys(results, runs)
    sees = role in ("incident_manager", "auditor")
    assert (api(actor).get(f"/api/v1/simulations/{planned.reference}/").status_code == 200) is sees
