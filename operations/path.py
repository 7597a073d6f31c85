"""The governed operation: what every entity's services run their changes through.

An entity describes itself once (``Governed``): its model, who sees which rows, who may take
which operation, and from which states each operation may start (``state_rules``: for the
moves a model's ``@transition`` makes, its ``source`` is the one answer). Its services then
write

    with PROBLEMS.operation(reference, actor, "resolve", expected_version) as problem:
        problem.resolve(...)
        return PROBLEMS.save(problem, action="resolve", actor=actor, changes={...})

and get the row locked through the actor's visibility (what they may not see is not found),
the role check, the version check (409 conflict), the state check (409 invalid_transition),
one transaction, and exactly the audit events of the save.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import models, transaction
from django_fsm import ANY_OTHER_STATE, ANY_STATE

from audit.services import append_events, build_event
from core.errors import DomainError, ErrorCode, not_found
from core.models import drop_stale_relations

StateRules = dict[str, tuple[tuple[str, ...], str]]


def transition_sources(method, field: models.Field | None = None) -> tuple[str, ...]:
    """The states a django-fsm ``@transition`` method may start from, in the order its
    ``source`` names them (``*`` and ``+`` spelled out from the field's choices)."""
    meta = method._django_fsm
    states: list[str] = []
    for source, move in meta.transitions.items():
        if source in (ANY_STATE, ANY_OTHER_STATE):
            field = field or meta.field
            states += [v for v, _ in field.choices if source == ANY_STATE or v != move.target]
        else:
            states.append(source)
    return tuple(dict.fromkeys(states))


def state_rules(spec: Mapping[str, tuple[Iterable[str] | Callable, str]]) -> StateRules:
    """``operation -> (states it may start from, past participle for messages)``, in the
    order of ``spec``. A state list is taken as it is; a transition method gives its own
    ``source``, so the states of a move are written once, on the model."""
    rules: StateRules = {}
    for operation, (states, participle) in spec.items():
        if callable(states) and hasattr(states, "_django_fsm"):
            rules[operation] = (transition_sources(states), participle)
        else:
            rules[operation] = (tuple(states), participle)
    return rules


def join_states(states) -> str:
    states = [str(s) for s in states]
    return states[0] if len(states) == 1 else ", ".join(states[:-1]) + " or " + states[-1]


@dataclass(frozen=True)
class Governed:
    """An entity on the operation path.

    ``visible_to(actor)``: the queryset of rows the actor may see (the lock goes through it);
    ``authorize(actor, operation, obj)``: raises DomainError unless the actor may;
    ``rules``: ``state_rules(...)``; ``related``: what every operation reads beside the row
    (select_related); ``noun``: the entity in messages ("incident", "problem").
    """

    model: type[models.Model]
    visible_to: Callable[..., models.QuerySet]
    authorize: Callable[..., None]
    rules: StateRules
    noun: str
    related: tuple[str, ...] = ()
    state_field: str = "status"
    # (user, obj, operation) -> whether to offer an operation the rules allow (a P1 is not
    # confirmed by its reporter, say): what the services would refuse for other reasons
    offers: Callable[..., bool] | None = None

    # ---- checks ------------------------------------------------------------------------
    def require_state(self, obj, operation: str) -> None:
        states, participle = self.rules[operation]
        state = getattr(obj, self.state_field)
        if state not in states:
            article = "an" if self.noun[:1] in "aeiou" else "a"
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"{obj.reference} is {state}; only {article} {self.noun} that is "
                f"{join_states(states)} can be {participle}.",
            )

    def states_allow(self, obj, operation: str) -> bool:
        return getattr(obj, self.state_field) in self.rules[operation][0]

    def allowed_actions(self, user, obj) -> list[str]:
        """The operations ``user`` may take on ``obj`` now, state and role together, in the
        order of ``rules``: the API's ``allowed_actions`` and the page's buttons."""
        actions = []
        for operation in self.rules:
            if not self.states_allow(obj, operation):
                continue
            try:
                self.authorize(user, operation, obj)
            except DomainError:
                continue
            if self.offers is None or self.offers(user, obj, operation):
                actions.append(operation)
        return actions

    def lock(self, queryset, obj_or_ref):
        """The row of ``queryset`` under SELECT … FOR UPDATE with ``related`` (current,
        however long the lock waited), or not_found."""
        ref = obj_or_ref if isinstance(obj_or_ref, str) else obj_or_ref.reference
        locked = (
            queryset.select_for_update(of=("self",))
            .select_related(*self.related)
            .filter(reference=ref)
            .first()
        )
        if locked is None:
            raise not_found(f"{self.noun.capitalize()} {ref}")
        return drop_stale_relations(locked)

    @staticmethod
    def check_version(obj, expected_version: int | None) -> None:
        if expected_version is not None and obj.version != expected_version:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"{obj.reference} changed since you loaded it (version {expected_version}, "
                f"now {obj.version}). Reload it and try again.",
                {"version": obj.version},
            )

    # ---- the path ----------------------------------------------------------------------
    @contextmanager
    def operation(self, obj_or_ref, actor, operation: str, expected_version: int | None = None) -> Iterator:
        """Lock the row for ``operation`` by ``actor`` and run the body in one transaction:
        any refusal raised in it (or before the yield) changes nothing."""
        with transaction.atomic():
            locked = self.lock(self.visible_to(actor), obj_or_ref)
            self.authorize(actor, operation, locked)
            self.check_version(locked, expected_version)
            self.require_state(locked, operation)
            yield locked

    @contextmanager
    def operation_or_system(self, obj_or_ref, actor, operation: str, expected_version: int | None = None):
        """Like ``operation``, but ``actor`` None runs as the system (no visibility or role
        check). The system may hand over the row itself, locked by its caller's transaction
        with ``related``: it is not read and locked again, and no savepoint is taken, since a
        failure is the caller's to roll back."""
        if actor is not None:
            with self.operation(obj_or_ref, actor, operation, expected_version) as obj:
                yield obj
            return
        if isinstance(obj_or_ref, self.model):
            if not transaction.get_connection().in_atomic_block or obj_or_ref.pk is None:
                raise ValueError(f"the system acts on a {self.model.__name__} only as locked by its caller")
            with transaction.atomic(savepoint=False):
                self.require_state(obj_or_ref, operation)
                yield obj_or_ref
            return
        with transaction.atomic():
            obj = self.lock(self.model.objects.all(), obj_or_ref)
            self.require_state(obj, operation)
            yield obj

    def save(self, obj, *, action: str, actor, changes: dict, extra: dict | None = None, before=()):
        """Count the operation in ``version``, save, and write its audit event — after any
        ``before`` events (built with ``audit.services.build_event``), so the operation's own
        event is the head of the trail."""
        obj.version += 1
        obj.save()
        append_events(
            [*before, build_event(action=action, obj=obj, actor=actor, changes=changes, extra=extra)]
        )
        return obj

    def create(self, obj, *, actor, changes: dict, extra: dict | None = None, action: str = "create"):
        """Insert a new row (validated by its service) and audit its creation."""
        obj.save()
        append_events([build_event(action=action, obj=obj, actor=actor, changes=changes, extra=extra)])
        return obj
