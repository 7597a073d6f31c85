"""The SLA sweep: every automatic rule with a frozen clock, its effect, its one audit event
by the system and its SlaEvent; idempotency; the management command; two sweeps at once.

Each test first sweeps up to just before the moment under test, so the assertions see
exactly the action of that moment.
"""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.verify import verify_chain
from catalog.models import Vendor
from communications.models import Communication
from incidents import services
from incidents.models import Incident
from incidents.sla import Check
from incidents.sweep import sla_sweep
from sla.models import SlaEvent
from tests.sla.support import T0, at, audit_for, minutes, reload, sla_events, sweeps_at_once

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def sweep(now, **options):
    """Run the sweep as beat would at ``now`` (the clock frozen there too)."""
    with at(now):
        return sla_sweep(now=now, **options)


class Snapshot:
    """What the sweep may add: audit events, SLA events, communications."""

    def __init__(self, incident: Incident | None = None):
        self.incident = incident
        self.audit_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        self.sla_ids = set(SlaEvent.objects.values_list("id", flat=True))
        self.comm_ids = set(Communication.objects.values_list("id", flat=True))

    def audit(self):
        return list(AuditEvent.objects.filter(seq__gt=self.audit_seq).order_by("seq"))

    def sla(self):
        return list(SlaEvent.objects.exclude(id__in=self.sla_ids).order_by("id"))

    def communications(self):
        return list(Communication.objects.exclude(id__in=self.comm_ids).order_by("id"))


def only_system_event(snapshot: Snapshot, incident: Incident, action: str, sla_kind: str):
    """The one audit event the sweep wrote: by the system, about ``incident``."""
    events = snapshot.audit()
    assert len(events) == 1, [str(e) for e in events]
    event = events[0]
    assert event.actor is None and event.actor_label == "system"
    assert (event.ref_type, event.ref_id, event.domain_action) == ("incident", incident.reference, action)
    assert event.additional_data["sla_event"] == sla_kind
    return event


def only_sla_event(snapshot: Snapshot, incident: Incident, kind: str, due_at, now):
    rows = snapshot.sla()
    assert [(r.subject_ref, r.kind, r.due_at, r.occurred_at) for r in rows] == [
        (incident.reference, kind, due_at, now)
    ]
    return rows[0]


# --- warnings at 75 % ------------------------------------------------------------------


def test_acknowledge_warning_at_75_percent_goes_to_the_desk(log_incident, always_service):
    incident = log_incident("P3", when=T0, service=always_service)  # acknowledge in 4 h
    warn = T0 + minutes(180)
    assert incident.acknowledge_warn_at == warn

    snapshot = Snapshot()
    assert sweep(warn - SECOND) == {}
    assert snapshot.audit() == [] and snapshot.sla() == []

    assert sweep(warn) == {"acknowledge_warning": 1}
    event = only_system_event(snapshot, incident, "notify", "acknowledge_warning")
    assert event.changes == {"acknowledge_warning": [None, f"{warn:%Y-%m-%d %H:%M} UTC"]}
    only_sla_event(snapshot, incident, "acknowledge_warning", warn, warn)
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail, note.sender) == (["team"], "service_desk", None)
    assert "75% of its acknowledge target" in note.message
    assert event.additional_data["notice"] == note.reference
    incident = reload(incident)
    assert incident.acknowledge_warned_at == warn
    assert incident.status == "open"
    assert incident.sla_next_check_at == incident.acknowledge_due_at


def test_acknowledge_warning_goes_to_the_team_holding_the_incident(log_incident, manager, always_service):
    incident = log_incident("P3", when=T0, service=always_service)
    with at(T0 + minutes(5)):
        services.incident_escalate(
            incident=incident.reference, actor=manager, target="L3", reason="Database."
        )
    snapshot = Snapshot()
    assert sweep(T0 + minutes(180)) == {"acknowledge_warning": 1}
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail) == (["team"], "L3")


def test_resolve_warning_goes_to_the_assignee(log_incident, manager, make_user, always_service):
    engineer = make_user("l2", team="L2", username="engineer-l2")
    incident = log_incident("P3", when=T0, service=always_service)
    with at(T0 + minutes(5)):
        services.incident_assign(
            incident=incident.reference, actor=manager, team="L2", assignee="engineer-l2"
        )
    warn = T0 + timedelta(hours=18)  # 75 % of 24 h
    sweep(warn - SECOND)
    snapshot = Snapshot()
    assert sweep(warn) == {"resolve_warning": 1}
    event = only_system_event(snapshot, incident, "notify", "resolve_warning")
    assert event.changes == {"resolve_warning": [None, f"{warn:%Y-%m-%d %H:%M} UTC"]}
    only_sla_event(snapshot, incident, "resolve_warning", warn, warn)
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail) == (["IT_staff"], engineer.username)
    assert "75% of its resolve target" in note.message
    assert reload(incident).resolve_warned_at == warn


# --- breaches escalate one step --------------------------------------------------------


@pytest.mark.parametrize(
    ("escalated_to", "expected"),
    [(None, "L1"), ("L1", "L2"), ("L2", "L3"), ("L3", "incident_manager")],
)
def test_acknowledge_breach_escalates_one_step(log_incident, manager, always_service, escalated_to, expected):
    incident = log_incident("P3", when=T0, service=always_service)
    if escalated_to:  # escalated by hand before anyone acknowledged it
        with at(T0 + minutes(5)):
            services.incident_escalate(
                incident=incident.reference, actor=manager, target=escalated_to, reason="x"
            )
    due = T0 + timedelta(hours=4)
    sweep(due - SECOND)  # the warning
    count = reload(incident).escalation_count
    snapshot = Snapshot()

    assert sweep(due) == {"acknowledge_breach": 1}

    incident = reload(incident)
    assert incident.status == "escalated"
    assert incident.assigned_team.code == expected
    assert incident.escalation_target == expected
    assert incident.escalation_count == count + 1
    assert incident.acknowledge_breached_at == due
    assert incident.acknowledged_at is None
    event = only_system_event(snapshot, incident, "escalate", "acknowledge_breach")
    assert event.changes["team"] == [escalated_to, expected]
    assert (
        event.changes["reason"][1]
        == f"SLA breach: the acknowledge target ({due:%Y-%m-%d %H:%M} UTC) was missed."
    )
    only_sla_event(snapshot, incident, "acknowledge_breach", due, due)
    [notice] = snapshot.communications()
    assert (notice.kind, notice.recipients, notice.recipient_detail) == (
        "escalation_notice",
        ["team"],
        expected,
    )
    assert incident.sla_next_check_at == incident.resolve_warn_at


def test_acknowledge_breach_at_the_top_only_notifies(log_incident, manager, always_service):
    incident = log_incident("P3", when=T0, service=always_service)
    with at(T0 + minutes(5)):
        services.incident_escalate(
            incident=incident.reference, actor=manager, target="incident_manager", reason="x"
        )
    due = T0 + timedelta(hours=4)
    sweep(due - SECOND)
    snapshot = Snapshot()

    assert sweep(due) == {"acknowledge_breach": 1}

    incident = reload(incident)
    assert (incident.status, incident.assigned_team.code, incident.escalation_count) == (
        "escalated",
        "incident_manager",
        1,
    )
    event = only_system_event(snapshot, incident, "notify", "acknowledge_breach")
    assert event.changes == {"acknowledge_breach": [None, f"{due:%Y-%m-%d %H:%M} UTC"]}
    only_sla_event(snapshot, incident, "acknowledge_breach", due, due)
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail) == (["team"], "incident_manager")
    assert "the acknowledge target" in note.message
    assert incident.acknowledge_breached_at == due


@pytest.mark.parametrize(
    ("team", "expected"),
    [("service_desk", "L1"), ("L1", "L2"), ("L2", "L3"), ("L3", "incident_manager")],
)
def test_resolve_breach_escalates_one_step(log_incident, manager, always_service, team, expected):
    incident = log_incident("P3", when=T0, service=always_service)
    with at(T0 + minutes(5)):
        services.incident_assign(incident=incident.reference, actor=manager, team=team)
    due = T0 + timedelta(hours=24)
    sweep(due - SECOND)  # the resolve warning
    snapshot = Snapshot()

    assert sweep(due) == {"resolve_breach": 1}

    incident = reload(incident)
    assert (incident.status, incident.assigned_team.code) == ("escalated", expected)
    assert incident.resolve_breached_at == due
    event = only_system_event(snapshot, incident, "escalate", "resolve_breach")
    assert event.changes["status"] == ["in_progress", "escalated"]
    assert event.changes["team"] == [team, expected]
    only_sla_event(snapshot, incident, "resolve_breach", due, due)
    assert incident.sla_next_check_at is None  # nothing else owed to a P3


def test_resolve_breach_at_the_top_only_notifies(log_incident, manager, always_service):
    incident = log_incident("P3", when=T0, service=always_service)
    with at(T0 + minutes(5)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L3")
        services.incident_escalate(
            incident=incident.reference, actor=manager, target="incident_manager", reason="x"
        )
    due = T0 + timedelta(hours=24)
    sweep(due - SECOND)
    snapshot = Snapshot()
    assert sweep(due) == {"resolve_breach": 1}
    incident = reload(incident)
    assert (incident.status, incident.assigned_team.code, incident.escalation_count) == (
        "escalated",
        "incident_manager",
        1,
    )
    only_system_event(snapshot, incident, "notify", "resolve_breach")
    only_sla_event(snapshot, incident, "resolve_breach", due, due)
    [note] = snapshot.communications()
    assert note.recipient_detail == "incident_manager"
    assert "the resolve target" in note.message


def test_a_breach_is_recorded_once_however_late_the_sweeps(log_incident, always_service):
    incident = log_incident("P3", when=T0, service=always_service)
    assert sweep(T0 + timedelta(hours=5)) == {"acknowledge_warning": 1, "acknowledge_breach": 1}
    for later in (6, 7, 12):
        assert sweep(T0 + timedelta(hours=later)) == {}
    assert sla_events(incident, "acknowledge_breach").count() == 1
    assert reload(incident).escalation_count == 1


# --- unassigned P1/P2 ------------------------------------------------------------------


def test_p2_unassigned_for_15_minutes_escalates_to_the_incident_manager(log_incident):
    incident = log_incident("P2", when=T0)
    due = T0 + minutes(15)
    snapshot = Snapshot()
    assert sweep(due - SECOND) == {}
    assert sweep(due) == {"unassigned_escalation": 1}
    incident = reload(incident)
    assert (incident.status, incident.assigned_team.code) == ("escalated", "incident_manager")
    assert incident.unassigned_escalated_at == due
    event = only_system_event(snapshot, incident, "escalate", "unassigned_escalation")
    assert event.changes["team"] == [None, "incident_manager"]
    assert event.changes["reason"] == [None, "P2 still unassigned 15 minutes after logging."]
    only_sla_event(snapshot, incident, "unassigned_escalation", due, due)


def test_p1_unassigned_escalates_to_the_incident_manager_before_the_acknowledge_breach(log_incident):
    incident = log_incident("P1", when=T0)
    assert sweep(T0 + minutes(12)) == {"acknowledge_warning": 1}
    snapshot = Snapshot()
    # unassigned check and acknowledge breach fall due together at +15 min
    assert sweep(T0 + minutes(15)) == {"unassigned_escalation": 1, "acknowledge_breach": 1}
    incident = reload(incident)
    assert (incident.status, incident.assigned_team.code, incident.escalation_count) == (
        "escalated",
        "incident_manager",
        1,
    )
    assert [(e.domain_action, e.additional_data["sla_event"]) for e in snapshot.audit()] == [
        ("escalate", "unassigned_escalation"),
        ("notify", "acknowledge_breach"),  # already with the incident manager: the top
    ]


def test_assigned_or_low_priority_incidents_are_not_escalated_as_unassigned(
    log_incident, manager, always_service
):
    assigned = log_incident("P2", when=T0)
    with at(T0 + minutes(10)):
        services.incident_assign(incident=assigned.reference, actor=manager, team="L1")
    low = log_incident("P3", when=T0, service=always_service)
    assert sweep(T0 + minutes(20)) == {}
    assert reload(assigned).status == "in_progress"
    assert reload(low).status == "open"
    assert not SlaEvent.objects.filter(kind="unassigned_escalation").exists()


# --- stakeholder updates ---------------------------------------------------------------


def _assigned_p1(log_incident, manager, lead=None):
    incident = log_incident("P1", when=T0)
    with at(T0 + minutes(1)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L2")
        if lead is not None:
            services.incident_set_major_roles(
                incident=incident.reference, actor=manager, communications_lead=lead.username
            )
    return reload(incident)


def test_missed_p1_update_flags_and_notifies_the_communications_lead(log_incident, manager, make_user):
    lead = make_user("service_desk_manager", username="comms-lead")
    incident = _assigned_p1(log_incident, manager, lead)
    due = T0 + minutes(30)
    assert incident.next_update_due_at == due
    snapshot = Snapshot()
    assert sweep(due - SECOND) == {}
    assert sweep(due) == {"update_missed": 1}

    event = only_system_event(snapshot, incident, "notify", "update_missed")
    assert event.changes["update_missed"] == [None, f"{due:%Y-%m-%d %H:%M} UTC"]
    only_sla_event(snapshot, incident, "update_missed", due, due)
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail) == (["IT_staff"], "comms-lead")
    assert "stakeholder update due" in note.message
    incident = reload(incident)
    assert incident.update_missed_for == due
    assert incident.next_update_due_at == due + minutes(30)  # chased again next cadence
    assert sweep(due + minutes(10)) == {}


def test_missed_p2_update_without_a_lead_notifies_the_incident_managers(log_incident, manager):
    incident = log_incident("P2", when=T0)
    with at(T0 + minutes(1)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L2")
    due = T0 + minutes(60)
    sweep(due - SECOND)  # the acknowledge checks are met; the resolve warning is at 6 h
    snapshot = Snapshot()
    assert sweep(due) == {"update_missed": 1}
    only_system_event(snapshot, incident, "notify", "update_missed")
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail) == (["team"], "incident_manager")


def test_updates_missed_during_a_sweep_outage_are_flagged_once(log_incident, manager):
    incident = _assigned_p1(log_incident, manager)
    now = T0 + timedelta(hours=5, minutes=10)  # no sweep for 5 h: ten 30-minute cadences missed
    snapshot = Snapshot()
    assert sweep(now) == {"update_missed": 1, "resolve_warning": 1, "resolve_breach": 1}
    assert [n.recipient_detail for n in snapshot.communications() if "stakeholder" in n.message] == [
        "incident_manager"
    ]
    incident = reload(incident)
    assert incident.update_missed_for == T0 + timedelta(hours=5)  # the last cadence missed
    assert incident.next_update_due_at == T0 + timedelta(hours=5, minutes=30)
    assert sweep(now) == {}
    assert sweep(T0 + timedelta(hours=5, minutes=30)) == {"update_missed": 1}


def test_an_update_to_stakeholders_in_time_is_not_flagged(log_incident, manager):
    incident = _assigned_p1(log_incident, manager)
    with at(T0 + minutes(20)):
        services.incident_communicate(
            incident=incident.reference, actor=manager, recipients=["stakeholders"], message="Working on it."
        )
    incident = reload(incident)
    assert incident.last_stakeholder_update_at == T0 + minutes(20)
    assert incident.next_update_due_at == T0 + minutes(50)
    assert sweep(T0 + minutes(30)) == {}
    assert sweep(T0 + minutes(49)) == {}
    assert not sla_events(incident).exists()
    assert sweep(T0 + minutes(50)) == {"update_missed": 1}


def test_an_update_to_end_users_only_does_not_count(log_incident, manager):
    incident = _assigned_p1(log_incident, manager)
    with at(T0 + minutes(20)):
        services.incident_communicate(
            incident=incident.reference, actor=manager, recipients=["end_users"], message="We are on it."
        )
    assert sweep(T0 + minutes(30)) == {"update_missed": 1}


# --- PIR, personal-data breach, automatic closure ---------------------------------------


def _resolved(log_incident, manager, priority, service=None, when=T0):
    incident = log_incident(priority, when=when, **({"service": service} if service else {}))
    with at(when + minutes(5)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L2")
    with at(when + HOUR):
        services.incident_resolve(
            incident=incident.reference, actor=manager, resolution_summary="Fixed.", service_restored=True
        )
    return reload(incident)


def test_pir_overdue_72h_after_a_p1_resolution_escalates_to_the_incident_manager(log_incident, manager):
    incident = _resolved(log_incident, manager, "P1")
    due = T0 + HOUR + timedelta(hours=72)
    assert incident.pir_due_at == due
    snapshot = Snapshot()
    assert sweep(due - SECOND) == {}
    assert sweep(due) == {"pir_overdue": 1}
    event = only_system_event(snapshot, incident, "notify", "pir_overdue")
    assert event.changes == {"pir_overdue": [None, f"{due:%Y-%m-%d %H:%M} UTC"]}
    only_sla_event(snapshot, incident, "pir_overdue", due, due)
    [note] = snapshot.communications()
    assert (note.recipients, note.recipient_detail) == (["team"], "incident_manager")
    assert "post-incident review" in note.message
    incident = reload(incident)
    assert incident.status == "resolved"
    assert incident.pir_escalated_at == due
    assert incident.sla_next_check_at is None


def test_personal_data_breach_notification_due_is_escalated(log_incident, always_service):
    # detected 71 h 59 min before logging: the 72 h notification deadline is a minute away
    incident = log_incident(
        "P3",
        when=T0,
        service=always_service,
        is_personal_data_breach=True,
        detected_at=T0 - timedelta(hours=71, minutes=59),
    )
    due = T0 + minutes(1)
    assert incident.breach_notification_due_at == due
    assert incident.sla_next_check_at == due
    snapshot = Snapshot()
    assert sweep(due - SECOND) == {}
    assert sweep(due) == {"breach_notification_due": 1}
    event = only_system_event(snapshot, incident, "escalate", "breach_notification_due")
    assert event.changes == {"breach_notification_due": [None, f"{due:%Y-%m-%d %H:%M} UTC"]}
    only_sla_event(snapshot, incident, "breach_notification_due", due, due)
    [note] = snapshot.communications()
    assert note.recipient_detail == "incident_manager"
    assert "personal-data breach notification" in note.message
    assert reload(incident).breach_notification_escalated_at == due


def test_resolved_p3_closes_automatically_after_the_grace_period(log_incident, manager, always_service):
    incident = _resolved(log_incident, manager, "P3", service=always_service)
    due = T0 + HOUR + timedelta(days=3)
    assert incident.grace_close_at == due
    snapshot = Snapshot()
    assert sweep(due - SECOND) == {}
    assert reload(incident).status == "resolved"

    assert sweep(due) == {"auto_closed": 1}
    incident = reload(incident)
    assert incident.status == "closed"
    assert incident.closed_at == due
    assert incident.closure_notes.startswith("Closed automatically")
    events = snapshot.audit()
    assert len(events) == 1
    assert (events[0].domain_action, events[0].actor, events[0].actor_label) == ("close", None, "system")
    assert events[0].changes["status"] == ["resolved", "closed"]
    only_sla_event(snapshot, incident, "auto_closed", due, due)
    assert incident.sla_next_check_at is None


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_high_priority_incidents_are_never_closed_automatically(log_incident, manager, priority):
    incident = _resolved(log_incident, manager, priority)
    assert incident.grace_close_at is None
    done = sweep(T0 + timedelta(days=30))
    assert done == {"pir_overdue": 1}
    assert reload(incident).status == "resolved"
    assert not sla_events(incident, "auto_closed").exists()


def test_pending_vendor_never_breaches_resolve_while_paused(log_incident, manager, always_service):
    incident = log_incident("P3", when=T0, service=always_service)  # resolve in 24 h
    vendor = Vendor.objects.create(name="Acme")
    with at(T0 + minutes(5)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L2")
    with at(T0 + HOUR):
        services.incident_engage_vendor(
            incident=incident.reference, actor=manager, vendor=vendor.reference, contact_method="email"
        )
    for hours in (18, 24, 25, 48):
        assert sweep(T0 + timedelta(hours=hours)) == {}
    incident = reload(incident)
    assert incident.status == "pending_vendor"
    assert incident.sla_next_check_at is None
    assert not sla_events(incident).exists()

    with at(T0 + timedelta(hours=48)):  # the vendor answers after 47 h
        services.incident_vendor_responded(incident=incident.reference, actor=manager)
    incident = reload(incident)
    assert incident.resolve_due_at == T0 + timedelta(hours=24 + 47)
    assert sweep(T0 + timedelta(hours=71) - SECOND) == {"resolve_warning": 1}
    assert sweep(T0 + timedelta(hours=71)) == {"resolve_breach": 1}


# --- idempotency -----------------------------------------------------------------------


def _due_mix(log_incident, manager, always_service):
    """Incidents with every kind of check due by T0 + 4 days."""
    p3 = log_incident("P3", when=T0, service=always_service)
    p1 = _assigned_p1(log_incident, manager)
    p2 = log_incident("P2", when=T0)
    resolved_p1 = _resolved(log_incident, manager, "P1")
    resolved_p3 = _resolved(log_incident, manager, "P3", service=always_service)
    breach = log_incident("P4", when=T0, is_personal_data_breach=True)
    return [p3, p1, p2, resolved_p1, resolved_p3, breach]


def test_sweeping_twice_at_the_same_moment_acts_once(log_incident, manager, always_service):
    _due_mix(log_incident, manager, always_service)
    now = T0 + timedelta(days=4)
    first = sweep(now)
    assert set(first) == {
        "acknowledge_warning",
        "acknowledge_breach",
        "resolve_warning",
        "resolve_breach",
        "unassigned_escalation",
        "update_missed",
        "pir_overdue",
        "breach_notification_due",
        "auto_closed",
    }
    assert sum(first.values()) == SlaEvent.objects.count()
    counts = (AuditEvent.objects.count(), SlaEvent.objects.count(), Communication.objects.count())
    states = list(Incident.objects.order_by("pk").values_list("status", "assigned_team__code", "version"))

    assert sweep(now) == {}
    assert (AuditEvent.objects.count(), SlaEvent.objects.count(), Communication.objects.count()) == counts
    assert (
        list(Incident.objects.order_by("pk").values_list("status", "assigned_team__code", "version"))
        == states
    )
    assert verify_chain()[1] is None


def test_the_sweep_works_through_every_batch(log_incident, always_service):
    due = [log_incident("P3", when=T0 + minutes(n), service=always_service) for n in range(5)]
    later = log_incident("P3", when=T0 + HOUR, service=always_service)
    assert sweep(T0 + timedelta(hours=4, minutes=10), batch_size=2) == {
        "acknowledge_warning": 6,  # the later one's warning is due at 4 h too
        "acknowledge_breach": 5,
    }
    assert all(reload(i).status == "escalated" for i in due)
    assert reload(later).status == "open"


def test_acting_on_a_check_already_done_does_nothing(log_incident, always_service):
    incident = log_incident("P3", when=T0, service=always_service)
    check = Check("acknowledge_warning", incident.acknowledge_warn_at)
    now = T0 + minutes(200)
    with at(now):
        assert (
            services.incident_sla_act(reference=incident.reference, check=check, now=now)
            == "acknowledge_warning"
        )
        assert services.incident_sla_act(reference=incident.reference, check=check, now=now) is None
        # a check that is not owed (wrong due time) is not acted on either
        stale = Check("acknowledge_breach", incident.acknowledge_due_at - HOUR)
        assert services.incident_sla_act(reference=incident.reference, check=stale, now=now) is None
    assert sla_events(incident).count() == 1
    assert audit_for(incident).filter(actor_label="system").count() == 1


# --- the management command ------------------------------------------------------------


def test_sla_sweep_command_runs_as_of_a_given_time(log_incident, always_service, capsys):
    incident = log_incident("P3", when=T0, service=always_service)
    now = T0 + minutes(181)
    with at(now):
        call_command("sla_sweep", "--now", now.isoformat())
    assert capsys.readouterr().out.strip() == "SLA sweep: 1 action(s) (acknowledge_warning: 1)."
    assert sla_events(incident, "acknowledge_warning").get().occurred_at == now
    with at(now):
        call_command("sla_sweep", "--now", now.isoformat().replace("+00:00", "Z"))
    assert capsys.readouterr().out.strip() == "SLA sweep: 0 action(s) (nothing due)."


def test_sla_sweep_command_stamps_its_actions_with_the_given_time(log_incident, manager, always_service):
    """Issue 15 #12: ``--now T`` acts as of T (the wall clock is left running here): an
    automatic close stamps closed_at T and an automatic escalation escalated_at T."""
    closing = _resolved(log_incident, manager, "P3", service=always_service)
    close_due = T0 + HOUR + timedelta(days=3)
    call_command("sla_sweep", "--now", close_due.isoformat())
    closing = reload(closing)
    assert (closing.status, closing.closed_at) == ("closed", close_due)

    escalating = log_incident("P2", when=T0)
    unassigned_due = T0 + minutes(15)
    call_command("sla_sweep", "--now", unassigned_due.isoformat())
    escalating = reload(escalating)
    assert (escalating.status, escalating.escalated_at) == ("escalated", unassigned_due)


@pytest.mark.parametrize("value", ["2026-11-25T10:00:00", "yesterday"])
def test_sla_sweep_command_rejects_a_time_without_zone(db, value):
    with pytest.raises(CommandError) as refused:
        call_command("sla_sweep", "--now", value)
    assert str(refused.value) == f"--now must be an ISO-8601 time with a zone, got {value!r}."


# --- two workers at once (PostgreSQL) --------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_act_exactly_once_per_check(make_user, make_service):
    manager = make_user("incident_manager", team="incident_manager")
    service = make_service("24x7")
    with at(T0):
        refs = [
            services.incident_create(
                actor=manager,
                title=f"Disk {n}",
                impact="medium",
                urgency="medium",
                affected_service=service.reference,
            )[0].reference
            for n in range(50)
        ]
    now = T0 + timedelta(hours=5)  # acknowledge warning and breach due on each
    before_audit = AuditEvent.objects.count()
    results, errors = sweeps_at_once(now, batch_size=5)
    assert not errors, errors
    assert len(results) == 2
    # both sweeps took a share (skip-locked batches of 5), so they really ran side by side
    assert all(sum(r.values()) > 0 for r in results), results
    total = results[0] + results[1]
    assert total == {"acknowledge_warning": 50, "acknowledge_breach": 50}
    assert SlaEvent.objects.filter(subject_ref__in=refs).count() == 100
    assert set(SlaEvent.objects.values_list("subject_ref", "kind").distinct()) == {
        (ref, kind) for ref in refs for kind in ("acknowledge_warning", "acknowledge_breach")
    }
    assert AuditEvent.objects.count() - before_audit == 100
    assert AuditEvent.objects.filter(actor_label="system", domain_action="escalate").count() == 50
    assert (
        Incident.objects.filter(reference__in=refs, status="escalated", assigned_team__code="L1").count()
        == 50
    )
    assert Incident.objects.filter(reference__in=refs, escalation_count=1).count() == 50
    checked, broken = verify_chain()
    assert broken is None, broken
    assert checked == AuditEvent.objects.count()


@pytest.mark.parametrize(("escalated_to", "expected"), [(None, "L3"), ("L3", "incident_manager")])
def test_a_security_incident_escalates_only_to_teams_that_may_see_it(
    log_incident, manager, always_service, escalated_to, expected
):
    """service_desk → L1 → L2 would hand it to teams that cannot see it: its path is L3 →
    incident_manager."""
    incident = log_incident("P3", when=T0, service=always_service, category="security")
    if escalated_to:
        with at(T0 + minutes(5)):
            services.incident_escalate(
                incident=incident.reference, actor=manager, target=escalated_to, reason="x"
            )
    due = T0 + timedelta(hours=4)
    sweep(due - SECOND)
    snapshot = Snapshot()

    assert sweep(due) == {"acknowledge_breach": 1}

    incident = reload(incident)
    assert (incident.status, incident.assigned_team.code) == ("escalated", expected)
    event = only_system_event(snapshot, incident, "escalate", "acknowledge_breach")
    assert event.changes["team"] == [escalated_to, expected]
