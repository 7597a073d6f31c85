"""The SLA sweep: find incidents with an automatic action due and perform it.

Candidates come from the partial index on ``sla_next_check_at``, so the cost follows the
rows that are due, not the open incidents. Each incident is then handled in its own short
transaction: locked with ``SELECT … FOR UPDATE SKIP LOCKED`` and re-checked, so two workers
sweeping at once never act on the same incident, and the audit chain's lock is held for one
incident's actions at a time, not for a whole batch. Each action is done by
incidents.services.incident_sla_act, which records it once.
"""

import logging
from collections import Counter
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from incidents.models import Incident
from incidents.services import incident_sla_act
from incidents.sla import pending_checks

logger = logging.getLogger(__name__)

MAX_ACTIONS_PER_INCIDENT = 12
SWEEP_RELATED = ("assigned_team", "assignee", "affected_service__calendar", "sla_policy")


def sla_sweep(*, now: datetime | None = None, batch_size: int = 200) -> Counter:
    """Perform every SLA action due at ``now``; return how many of each kind were done."""
    now = now or timezone.now()
    done: Counter = Counter()
    seen: set[int] = set()
    while True:
        candidates = list(
            Incident.objects.filter(sla_next_check_at__lte=now)
            .exclude(pk__in=seen)
            .order_by("sla_next_check_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        for pk in candidates:
            seen.add(pk)
            with transaction.atomic():
                incident = (
                    Incident.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related(*SWEEP_RELATED)
                    .filter(pk=pk, sla_next_check_at__lte=now)
                    .first()
                )
                if incident is not None:  # else: another worker has it, or it is no longer due
                    _sweep_one(incident, now, done)
        if len(candidates) < batch_size:
            return done


def _sweep_one(incident: Incident, now: datetime, done: Counter) -> None:
    reference = incident.reference
    for _ in range(MAX_ACTIONS_PER_INCIDENT):
        due = [c for c in pending_checks(incident) if c.due_at <= now]
        if not due:
            return
        try:
            with transaction.atomic():
                kind = incident_sla_act(reference=reference, check=due[0], now=now, locked=incident)
        except DomainError as exc:  # a refused automatic action: logged, retried next sweep
            logger.warning("SLA action %s on %s refused: %s", due[0].kind, reference, exc.message)
            return
        if kind is None:
            return
        done[kind] += 1
        # fresh state for the next check (the row stays locked by this transaction)
        incident = Incident.objects.select_related(*SWEEP_RELATED).get(pk=incident.pk)
