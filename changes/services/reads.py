"""The audited reads of changes: SOP 1's entity lookup."""

from audit.services import audit_record_lookup
from changes.models import Change

# query parameters that page or order a list rather than look anything up
NOT_FILTERS = frozenset({"page", "page_size", "ordering", "format"})


def changes_record_lookup(*, actor, params, via: str) -> bool:
    """SOP 1 (entity lookup): a search or filtered list of changes is an ``identify`` event
    that stores only the entity type and the filters used (seed 001); the plain list and
    paging are not lookups. Returns whether one was written."""
    filters = {
        key: values[0] if len(values) == 1 else values
        for key, values in params.lists()
        if key not in NOT_FILTERS and any(value.strip() for value in values)
    }
    if not filters:
        return False
    audit_record_lookup(model=Change, actor=actor, filters=filters, via=via)
    return True
