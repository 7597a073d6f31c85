"""Filing the PIR ends the SLA sweep's PIR-overdue chase; unfiled, the chase reminds the
incident managers (audited ``notify``) and escalates nothing."""

from datetime import timedelta

from audit.models import AuditEvent
from communications.models import Communication
from incidents.models import Incident
from incidents.sweep import sla_sweep
from sla.models import SlaEvent
from tests.sla.support import at


def sweep(now):
    with at(now):
        return sla_sweep(now=now)


def test_filing_the_pir_stops_the_chase_and_the_unfiled_one_is_reminded(make, file_review):
    filed, unfiled = make("resolved", priority="P1"), make("resolved", priority="P2")
    assert filed.pir_due_at is not None and filed.sla_next_check_at == filed.pir_due_at
    file_review(filed)
    stored = Incident.objects.get(pk=filed.pk)
    assert (stored.pir_due_at, stored.sla_next_check_at) == (None, None)

    later = max(filed.pir_due_at, unfiled.pir_due_at) + timedelta(minutes=1)
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert sweep(later) == {"pir_overdue": 1}
    assert sweep(later + timedelta(days=3)) == {}  # and never again
    [event] = AuditEvent.objects.filter(seq__gt=seq)
    assert (event.ref_id, event.domain_action, event.actor_label) == (unfiled.reference, "notify", "system")
    assert not SlaEvent.objects.filter(subject_ref=filed.reference).exists()
    assert not Communication.objects.filter(subject_ref=filed.reference, message__contains="review").exists()
    reminded = Incident.objects.get(pk=unfiled.pk)
    assert (reminded.status, reminded.escalation_count) == ("resolved", 0)
