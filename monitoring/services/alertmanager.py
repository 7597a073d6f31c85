"""Prometheus Alertmanager's webhook (version 4): each alert an event keyed by its
fingerprint and ``startsAt`` (so Alertmanager's retries are idempotent); a resolved alert
records "alert cleared" on its incident (it does not resolve it)."""

from django.db import transaction
from django.utils import timezone

from audit.services import append_events, build_event
from communications.models import Kind, Recipients
from communications.services import communication_record
from core.errors import validation_error
from monitoring.choices import Source
from monitoring.models import Event, IncidentAlert
from monitoring.policy import authorize_post
from monitoring.services.intake import events_ingest

__all__ = ["alertmanager_receive"]

SEVERITIES = {"critical": "critical", "page": "critical", "high": "high", "error": "high",
              "major": "high", "warning": "medium", "medium": "medium", "minor": "low",
              "info": "low", "low": "low", "none": "low"}  # fmt: skip


def _event_id(alert: dict) -> str:
    return f"am:{alert.get('fingerprint', '')}:{alert.get('startsAt', '')}"


def _as_event(alert: dict) -> dict:
    labels, annotations = alert.get("labels") or {}, alert.get("annotations") or {}
    event = {
        "source": Source.MONITORING_TOOL,
        "service": labels.get("service", ""),
        "alert_type": labels.get("alertname", ""),
        "severity": SEVERITIES.get(str(labels.get("severity", "")).lower(), labels.get("severity", "")),
        "occurred_at": alert.get("startsAt", ""),
        "event_id": _event_id(alert),
        "summary": (annotations.get("summary") or annotations.get("description") or "")[:500],
        "labels": labels,
        "generatorURL": alert.get("generatorURL", ""),
    }
    if labels.get("dedup_key"):
        event["dedup_key"] = labels["dedup_key"]
    return event


def alertmanager_receive(*, actor, payload, intake_token: bool = False) -> dict:
    """Answer ``{"firing": [results…], "cleared": [incident refs]}``."""
    authorize_post(actor, intake_token=intake_token)
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise validation_error("An Alertmanager webhook (version 4) carries alerts[].", alerts="Required.")
    if str(payload.get("version", "4")) != "4":
        raise validation_error(
            f"Alertmanager webhook version {payload.get('version')}; this receiver reads version 4.",
            version="Must be 4.",
        )
    alerts = [a for a in payload["alerts"] if isinstance(a, dict)]
    firing = [_as_event(a) for a in alerts if a.get("status", payload.get("status")) != "resolved"]
    resolved = [a for a in alerts if a.get("status", payload.get("status")) == "resolved"]
    results = events_ingest(actor=actor, items=firing, intake_token=intake_token) if firing else []
    cleared = _clear(actor, resolved) if resolved else []
    return {"firing": results, "cleared": cleared}


def _clear(actor, resolved: list[dict]) -> list[str]:
    ids = {_event_id(a) for a in resolved}
    cleared: list[str] = []
    with transaction.atomic():
        events = Event.objects.filter(source=Source.MONITORING_TOOL, event_id__in=ids, incident__isnull=False)
        pairs = {(e.incident_id, e.dedup_key) for e in events}
        rows = (
            IncidentAlert.objects.select_for_update()
            .select_related("incident")
            .filter(incident_id__in={p[0] for p in pairs}, cleared_at__isnull=True)
        )
        now = timezone.now()
        audit = []
        for alert in rows:
            if (alert.incident_id, alert.dedup_key) not in pairs:
                continue
            alert.cleared_at = now
            alert.save(update_fields=["cleared_at", "updated_at"])
            notice = communication_record(
                subject_ref=alert.incident.reference,
                sender=None,
                recipients=[Recipients.IT_STAFF],
                recipient_detail=alert.incident.assigned_team.code
                if alert.incident.assigned_team_id
                else "service_desk",
                kind=Kind.COMMENT,
                message=f"Alert cleared: {alert.dedup_key} (seen {alert.count} time(s)); monitoring "
                "reports it resolved. The incident stays open until someone resolves it.",
            )
            audit.append(
                build_event(
                    action="notify",
                    obj=alert.incident,
                    actor=actor,
                    changes={"communication": [None, notice.reference]},
                    extra={"source": "monitoring", "alert_cleared": alert.dedup_key},
                )
            )
            cleared.append(alert.incident.reference)
        append_events(audit)
    return cleared
