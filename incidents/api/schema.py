"""The incident schema says which fields a reporter's view leaves out.

drf-spectacular marks every read-only field required; the fields of
incidents.selectors.WORK_NOTE_FIELDS are absent when the caller is the reporter (an end
user), so they are optional in the incident components, and say why.
"""

from incidents.related import related_all
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


def related_documented(result, generator, request, public):
    """The incident detail's keys that the apps above incidents add (incidents.related) and
    ``allowed_links``, which the serializer does not know: documented in the schema too."""
    detail = result.get("components", {}).get("schemas", {}).get("IncidentDetail")
    if detail is None:
        return result
    properties = detail.setdefault("properties", {})
    for related in related_all():
        what = related.description or f"The {related.key.replace('_', ' ')} of this incident."
        properties[related.key] = {"readOnly": True, "description": what}
    properties["allowed_links"] = {
        "type": "array",
        "items": {"type": "string"},
        "readOnly": True,
        "description": "The links the caller may make from this incident (link_problem, link_change, "
        "link_kb, kb_update, start_review).",
    }
    keys = {"allowed_links", *(r.key for r in related_all())}
    detail["required"] = [*detail.get("required", []), *sorted(keys - set(detail.get("required", [])))]
    return result
