"""The audit chain written at the end of a batch (audit_chain_deferred, as the SLA sweep
uses it): one chain lock and one INSERT; events of a savepoint rolled back take no place
in the chain; nothing is written when the batch fails; outside a batch, as before.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import audit_chain_deferred, audit_record
from audit.verify import verify_chain


def test_deferred_audit_events_of_a_rolled_back_savepoint_take_no_place_in_the_chain(
    log_incident, always_service
):
    incident = log_incident("P3", service=always_service)
    head = AuditEvent.objects.order_by("-seq").first()
    with transaction.atomic(), audit_chain_deferred():
        kept = audit_record(action="update", obj=incident, changes={"title": ["a", "b"]})
        assert kept.seq is None  # not chained yet
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_record(action="update", obj=incident, changes={"title": ["b", "c"]})
            raise RuntimeError("rolled back")
        last = audit_record(action="update", obj=incident, changes={"title": ["b", "d"]})
    new = list(AuditEvent.objects.filter(seq__gt=head.seq).order_by("seq"))
    assert [e.changes["title"] for e in new] == [["a", "b"], ["b", "d"]]
    assert [e.seq for e in new] == [head.seq + 1, head.seq + 2] == [kept.seq, last.seq]
    assert new[0].prev_hash == head.hash and new[1].prev_hash == new[0].hash
    assert verify_chain()[1] is None


def test_deferred_audit_events_are_not_written_when_the_batch_fails(log_incident, always_service):
    incident = log_incident("P3", service=always_service)
    count = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), audit_chain_deferred():
        audit_record(action="update", obj=incident, changes={"title": ["a", "b"]})
        raise RuntimeError("the batch fails")
    assert AuditEvent.objects.count() == count
    # and outside a batch, events are written at once again
    event = audit_record(action="update", obj=incident, changes={"title": ["a", "b"]})
    assert event.seq == AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_a_batch_reads_the_chain_head_once_and_writes_its_events_in_one_insert(log_incident, always_service):
    incident = log_incident("P3", service=always_service)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, audit_chain_deferred():
        for n in range(3):
            audit_record(action="update", obj=incident, changes={"title": [str(n), str(n + 1)]})
        assert not [q for q in queries if "audit_auditevent" in q["sql"]]  # nothing until the end
    chain = [q["sql"] for q in queries if "audit_auditevent" in q["sql"] or "advisory" in q["sql"]]
    assert [sql.split(" ", 1)[0] for sql in chain] == (
        ["SELECT"] * (2 if connection.vendor == "postgresql" else 1) + ["INSERT"]
    )
    assert verify_chain()[1] is None


def test_batches_do_not_nest(db):
    with transaction.atomic(), audit_chain_deferred():
        with pytest.raises(RuntimeError, match="does not nest"), audit_chain_deferred():
            pass
