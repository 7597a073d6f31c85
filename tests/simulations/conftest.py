"""Fixtures of the simulation tests: the incident fixtures' people, and ``sim`` to build a
simulation in any status through the services."""

import pytest

from simulations import services
from tests.incidents.conftest import people, svc, vendor  # noqa: F401 - the incident fixtures


@pytest.fixture
def sim(people):  # noqa: F811 - the imported fixture
    """sim(status="planned", **create kw): a simulation run by people.im."""

    def build(status="planned", **kw):
        kw.setdefault("scenario", "Datacenter power loss")
        kw.setdefault("scope", "Email and VPN, the on-call rota.")
        kw.setdefault("participants", [people.l2.username, people.analyst.username])
        simulation = services.simulation_create(actor=people.im, **kw)
        if status in ("running", "completed"):
            services.simulation_start(simulation=simulation.reference, actor=people.im)
        if status == "completed":
            services.simulation_complete(
                simulation=simulation.reference, actor=people.im, outcomes="Rota worked."
            )
        simulation.refresh_from_db()
        return simulation

    return build
