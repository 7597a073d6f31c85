"""Which operations a viewer may take on an incident now: role, team and state together.

The API's ``allowed_actions`` and the browser's buttons both come from here, so nothing
about a rule is decided twice (the services still check everything when called).
"""

from django.utils import timezone

from core.errors import DomainError
from incidents.choices import HIGH_PRIORITIES
from incidents.policy import authorize
from incidents.services import STATE_RULES


def allowed_actions(user, incident) -> list[str]:
    actions = []
    for operation, (states, _) in STATE_RULES.items():
        if incident.status not in states:
            continue
        try:
            authorize(user, operation, incident)
        except DomainError:
            continue
        if operation == "confirm" and incident.priority in HIGH_PRIORITIES:
            continue
        if operation == "set_major_roles" and not incident.is_major:
            continue
        if operation == "reopen" and timezone.now() > incident.grace_period_ends_at:
            continue
        actions.append(operation)
    return actions
