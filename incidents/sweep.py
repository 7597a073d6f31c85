"""The SLA sweep: find incidents with an automatic action due and perform it.

Candidates come from the partial index on ``sla_next_check_at``, so the cost follows the
rows that are due, not the open incidents. They are handled a batch at a time, each batch
in one transaction, with one round of reads and writes for the whole batch:

- one ``SELECT … FOR UPDATE SKIP LOCKED`` locks the batch's due incidents with what the
  actions read of them, so two workers sweeping at once take different incidents and
  never act on the same one twice; the actions then work on these rows as they stand in
  memory, without reading them again;
- one query reads the batch's SlaEvents, and the new ones are written in one INSERT when
  the batch ends (incidents.services.sla.sla_events_deferred);
- the audit events are chained and written in one INSERT at the end too, under one chain
  lock and one read of its head (audit.services.audit_chain_deferred).

A batch first runs without savepoints of its own. If an action raises, that run is rolled
back whole and the batch is done again with a savepoint per incident and one per action:
a refused action (DomainError) is logged and left for the next sweep, the incident's
earlier actions kept; an error rolls back that incident's work of this sweep, its audit
events and SlaEvents included, and is logged; the other incidents proceed either way.

BATCH_SIZE bounds how long a person's operation can wait behind a sweep: the batch's
incidents stay locked until it commits, and so does the reference counter of
communications (nearly every action records one), so a comment, a stakeholder update or an
escalation by hand waits for the batch in progress. On bench/sla_sweep.py (PostgreSQL, 2
cores shared with other work, load 2.5) a batch of 25 incidents with two actions each takes
about 0.25 s from its first statement to its commit, 0.5 s at the longest; batches of 50
were no faster in all and held their locks twice as long. The audit chain's lock is held
only from the batch's last write to its commit, 25–90 ms of it. 25 also keeps
the subtransactions of a batch (one per escalation or closing: the service's savepoint)
within the 64 that PostgreSQL caches per transaction, beyond which every other session's
snapshot checks slow down.
"""

import logging
from collections import Counter
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_chain_deferred
from core.errors import DomainError
from core.models import drop_stale_relations
from incidents.models import Incident
from incidents.services import incident_sla_act_locked, sla_events_deferred
from incidents.services.sla import SLA_RELATED
from incidents.sla import pending_checks

logger = logging.getLogger(__name__)

MAX_ACTIONS_PER_INCIDENT = 12
BATCH_SIZE = 25  # see above


def sla_sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Counter:
    """Perform every SLA action due at ``now``; return how many of each kind were done.
    Each incident is handled at most once per sweep."""
    sweep = _Sweep(now or timezone.now())
    while sweep.batch(batch_size) == batch_size:
        pass
    return sweep.done


class _Failed(Exception):
    """An incident's action raised in a batch run without savepoints."""


class _Sweep:
    def __init__(self, now: datetime):
        self.now = now
        self.done: Counter = Counter()
        self.seen: set[int] = set()
        self.left_due: set[int] = set()  # seen and still due (refused, failed, …): not selected again

    def _locked(self, incidents, size: int) -> list[Incident]:
        """The first ``size`` of ``incidents`` that are due, locked, with SLA_RELATED."""
        locked = (
            incidents.select_for_update(skip_locked=True, of=("self",))
            .select_related(*SLA_RELATED)
            .filter(sla_next_check_at__lte=self.now)
            .order_by("sla_next_check_at", "pk")
        )
        return [drop_stale_relations(incident) for incident in locked[:size]]

    def batch(self, size: int) -> int:
        """Sweep the next ``size`` due incidents not locked by another sweep; return how
        many were taken. A batch runs without savepoints; if an action raises, the batch is
        rolled back and done again with a savepoint per incident and per action."""
        failed = None
        try:
            with transaction.atomic():
                taken = self._locked(Incident.objects.exclude(pk__in=self.left_due), size)
                fresh = []
                for incident in taken:
                    if incident.pk in self.seen:  # due again after this sweep acted on it
                        self.left_due.add(incident.pk)
                    else:
                        self.seen.add(incident.pk)
                        fresh.append(incident)
                done, left_due = self._act(fresh, careful=False)
        except _Failed as exc:
            failed = exc
        if failed is not None:  # all of the batch was rolled back
            logger.info("SLA sweep: %s; its batch is done again one incident at a time", failed)
            with transaction.atomic():
                again = self._locked(Incident.objects.filter(pk__in=[i.pk for i in fresh]), size)
                done, left_due = self._act(again, careful=True)
        self.done.update(done)
        self.left_due |= left_due
        return len(taken)

    def _act(self, batch: list[Incident], careful: bool) -> tuple[Counter, set[int]]:
        done: Counter = Counter()
        left_due: set[int] = set()
        with audit_chain_deferred(), sla_events_deferred(i.reference for i in batch) as events:
            for incident in batch:
                try:
                    if careful:
                        with transaction.atomic():
                            incident, actions, finished = _sweep_one(incident, self.now, events, careful)
                    else:
                        incident, actions, finished = _sweep_one(incident, self.now, events, careful)
                except Exception as exc:
                    if not careful:
                        raise _Failed(f"an SLA action on {incident.reference} raised {exc!r}") from exc
                    if connection.needs_rollback:  # the savepoint could not be rolled back
                        raise
                    logger.exception("SLA sweep of %s failed; retried next sweep", incident.reference)
                    left_due.add(incident.pk)
                    continue
                done.update(actions)
                if not finished or (incident.sla_next_check_at and incident.sla_next_check_at <= self.now):
                    left_due.add(incident.pk)
        return done, left_due


def _sweep_one(incident: Incident, now: datetime, events, careful: bool) -> tuple[Incident, Counter, bool]:
    """Perform the incident's due checks one after the other: the incident as it now
    stands, what was done, and False if an action was refused (``careful``: each action in
    its own savepoint, a refusal logged; else any exception is the caller's)."""
    actions: Counter = Counter()
    for _ in range(MAX_ACTIONS_PER_INCIDENT):
        due = [c for c in pending_checks(incident) if c.due_at <= now]
        if not due:
            break
        if not careful:
            kind, incident = incident_sla_act_locked(incident=incident, check=due[0], now=now, events=events)
        else:
            try:
                with transaction.atomic():
                    kind, incident = incident_sla_act_locked(
                        incident=incident, check=due[0], now=now, events=events
                    )
            except DomainError as exc:  # a refused automatic action: logged, retried next sweep
                reference = incident.reference
                logger.warning("SLA action %s on %s refused: %s", due[0].kind, reference, exc.message)
                return incident, actions, False
        if kind is None:
            break
        actions[kind] += 1
    return incident, actions, True
