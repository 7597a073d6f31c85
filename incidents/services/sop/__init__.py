"""The incident SOPs of the seed policy, one service each: the only writers of incidents.

Each runs in one transaction: lock the row (through the viewer's visibility, so what the
actor may not see is not found), authorize, check the state, validate, apply, save and
write its audit event (base.py). Any refusal raises DomainError and changes nothing.
"""

from incidents.services.sop.base import PUBLIC_RECIPIENTS, STATE_RULES, TEXT_LIMITS
from incidents.services.sop.closure import incident_close, incident_confirm, incident_reopen, incident_resolve
from incidents.services.sop.create import incident_create, incidents_possible_duplicates
from incidents.services.sop.people import incident_comment, incident_communicate, incident_set_major_roles
from incidents.services.sop.triage import (
    incident_assign,
    incident_categorize,
    incident_edit,
    incident_log,
    incident_prioritize,
)
from incidents.services.sop.work import (
    incident_diagnose,
    incident_engage_vendor,
    incident_escalate,
    incident_vendor_responded,
)

__all__ = [
    "PUBLIC_RECIPIENTS", "STATE_RULES", "TEXT_LIMITS", "incident_assign", "incident_categorize",
    "incident_close", "incident_comment", "incident_communicate", "incident_confirm", "incident_create",
    "incident_diagnose", "incident_edit", "incident_engage_vendor", "incident_escalate", "incident_log",
    "incident_prioritize", "incident_reopen", "incident_resolve", "incident_set_major_roles",
    "incident_vendor_responded", "incidents_possible_duplicates",
]  # fmt: skip
