"""Per-item validation of posted events: each item answers its own errors."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from monitoring.choices import Severity, Source

CLOCK_SKEW = timedelta(minutes=5)
LIMITS = {"alert_type": 100, "event_id": 200, "dedup_key": 200, "summary": 500}


@dataclass
class Item:
    source: str
    service_ref: str
    alert_type: str
    severity: str
    occurred_at: datetime
    event_id: str | None
    dedup_key: str
    summary: str
    raw: str


class ItemError(Exception):
    def __init__(self, message: str, fields: dict):
        super().__init__(message)
        self.message, self.fields = message, fields


def _text(data: dict, name: str, errors: dict, required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = "This field is required."
        return ""
    if not isinstance(value, str | int):
        errors[name] = "Must be text."
        return ""
    value = str(value).strip()
    if name in LIMITS and len(value) > LIMITS[name]:
        errors[name] = f"At most {LIMITS[name]} characters."
    return value


def parse_item(data, raw: str, now: datetime) -> Item:
    """An Item from one posted object, or ItemError naming each bad field."""
    if not isinstance(data, dict):
        raise ItemError("Each event is a JSON object.", {"non_field_errors": "Expected an object."})
    errors: dict = {}
    source = _text(data, "source", errors, required=True)
    if source and source not in Source.values:
        errors["source"] = f"Must be one of {', '.join(Source.values)}."
    service_ref = _text(data, "service", errors, required=True)
    alert_type = _text(data, "alert_type", errors, required=True)
    severity = _text(data, "severity", errors, required=True)
    if severity and severity not in Severity.values:
        errors["severity"] = f"Must be one of {', '.join(Severity.values)}."
    occurred_text = _text(data, "occurred_at", errors, required=True)
    occurred_at = None
    if occurred_text:
        try:
            occurred_at = parse_datetime(occurred_text)
        except ValueError:
            occurred_at = None
        if occurred_at is None or timezone.is_naive(occurred_at):
            errors["occurred_at"] = "An ISO 8601 time with a time zone."
            occurred_at = None
        elif occurred_at > now + CLOCK_SKEW:
            errors["occurred_at"] = "Must not be in the future."
    event_id = _text(data, "event_id", errors) or None
    dedup_key = _text(data, "dedup_key", errors)
    summary = _text(data, "summary", errors)
    if errors:
        raise ItemError(f"Invalid event: {', '.join(sorted(errors))}.", errors)
    return Item(
        source=source,
        service_ref=service_ref,
        alert_type=alert_type,
        severity=severity,
        occurred_at=occurred_at,
        event_id=event_id,
        dedup_key=dedup_key or f"{service_ref}:{alert_type}",
        summary=summary,
        raw=raw,
    )
