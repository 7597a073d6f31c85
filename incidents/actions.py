"""Which operations a viewer may take on an incident now: role, team and state together.

The API's ``allowed_actions`` and the browser's buttons both come from here, so nothing
about a rule is decided twice (the services still check everything when called).
"""

from incidents.services.sop.base import INCIDENTS


def allowed_actions(user, incident) -> list[str]:
    return INCIDENTS.allowed_actions(user, incident)
