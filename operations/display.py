"""What every record's page shows the same way: times in the viewer's time zone, made once
per page, and a timeline's entries with their changes as clipped text."""

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.text import Truncator


class Times:
    """Date filter formats of one page: ``c`` (ISO 8601), ``M j, H:i`` and ``M j, H:i:s``,
    in the current time zone, each month's name translated once."""

    def __init__(self):
        self._months: dict[int, str] = {}

    def iso(self, at) -> str:
        return timezone.localtime(at).isoformat()

    def text(self, at, *, seconds: bool = False) -> str:
        at = timezone.localtime(at)
        month = self._months.get(at.month) or self._months.setdefault(at.month, MONTHS_3[at.month].title())
        return f"{month} {at.day}, {at:%H:%M:%S}" if seconds else f"{month} {at.day}, {at:%H:%M}"


def timeline_rows(entries: list[dict]) -> list[dict]:
    """Timeline entries (dicts with ``at`` and ``changes``), each with its time as ISO and
    as text and its changes as (field, old, new) text, clipped to 60 and 120 characters."""
    times = Times()
    for entry in entries:
        entry["at_iso"], entry["at_text"] = times.iso(entry["at"]), times.text(entry["at"], seconds=True)
        changes = entry.get("changes") or {}
        entry["change_rows"] = [_change_row(field, delta) for field, delta in changes.items()]
    return entries


def _change_row(field: str, delta) -> tuple[str, str, str]:
    old, new = delta if isinstance(delta, list | tuple) and len(delta) == 2 else (None, delta)
    return field, _clipped(old, 60) if old else "", _clipped(new, 120)


def _clipped(value, length: int) -> str:
    text = str(value)
    return text if len(text) <= length else Truncator(text).chars(length)


def record_timeline(obj, ref_type: str | None = None) -> list[dict]:
    """The audit events of one record, oldest first, in one query, as timeline rows."""
    from audit.models import AuditEvent

    rows = AuditEvent.objects.filter(ref_type=ref_type or obj._meta.model_name, ref_id=obj.reference)
    entries = [
        {"at": e["timestamp"], "type": "audit", "action": e["domain_action"], "actor": e["actor_label"],
         "changes": e["changes"] or {}, "extra": e["additional_data"] or {}}
        for e in rows.order_by("seq").values(
            "timestamp", "domain_action", "actor_label", "changes", "additional_data"
        )
    ]  # fmt: skip
    return timeline_rows(entries)
