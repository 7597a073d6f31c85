"""An incident's people for communications' recipient groups (registered in IncidentsConfig.ready)."""

from communications.recipients import SubjectContacts


def incident_contacts(subject_ref: str) -> SubjectContacts:
    from incidents.models import Incident

    incident = (
        Incident.objects.filter(reference=subject_ref).select_related("reporter", "assigned_team").first()
    )
    if incident is None:
        return SubjectContacts()
    reporter = (incident.reporter.email,) if incident.reporter and incident.reporter.email else ()
    team = ()
    if incident.assigned_team is not None:
        members = incident.assigned_team.members.filter(is_active=True).exclude(email="")
        team = tuple(members.order_by("email").values_list("email", flat=True))
    # no subscription model for services yet: stakeholders come from IMS_STAKEHOLDER_EMAILS
    return SubjectContacts(reporter=reporter, assigned_team=team, stakeholders=None)
