"""The incident schema says which fields a reporter's view leaves out.

drf-spectacular marks every read-only field required; the fields of
incidents.selectors.WORK_NOTE_FIELDS are absent when the caller is the reporter (an end
user), so they are optional in the incident components, and say why.
"""

from incidents.selectors import WORK_NOTE_FIELDS

INCIDENT_COMPONENTS = ("Incident", "IncidentList", "IncidentDetail")


def work_notes_optional(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name in INCIDENT_COMPONENTS:
        component = schemas.get(name)
        if component is None:
            continue
        component["required"] = [f for f in component.get("required", []) if f not in WORK_NOTE_FIELDS]
        for field in WORK_NOTE_FIELDS & set(component.get("properties", {})):
            component["properties"][field]["description"] = (
                "For the people working the incident: absent when the caller is its reporter."
            )
    return result
