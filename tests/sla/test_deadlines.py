"""Deadlines stored on the incident: computed at logging, recomputed by the SOP services
when priority, pause or resolution change them, and shown by the API."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from catalog.models import BusinessCalendar, CalendarClosure, Vendor
from incidents import services
from incidents.sla import sla_state
from tests.sla.support import T0, at, audit_for, minutes, reload

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.mark.parametrize(
    ("priority", "ack", "resolve", "update"),
    [("P1", 15, 4 * 60, 30), ("P2", 30, 8 * 60, 60)],
)
def test_high_priority_deadlines_run_on_the_24x7_clock(log_incident, priority, ack, resolve, update):
    logged = utc(2026, 11, 28, 22, 0)  # a Saturday night: 24×7 ignores office hours
    incident = log_incident(priority, when=logged)
    assert incident.logged_at == logged
    assert incident.sla_policy.version == 1
    assert incident.acknowledge_due_at == logged + minutes(ack)
    assert incident.acknowledge_warn_at == logged + minutes(ack * 0.75)
    assert incident.resolve_due_at == logged + minutes(resolve)
    assert incident.resolve_warn_at == logged + minutes(resolve * 0.75)
    assert incident.next_update_due_at == logged + minutes(update)
    # the earliest check owed: the acknowledge warning (P1: 11 min 15 s) or, for a P2, the
    # unassigned check 15 minutes after logging
    assert incident.sla_next_check_at == logged + minutes(min(ack * 0.75, 15))


def test_p3_logged_friday_afternoon_on_office_hours(log_incident, office_service):
    incident = log_incident("P3", when=utc(2026, 11, 27, 16), service=office_service)  # Friday 16:00
    # 4 business hours: 1 on Friday, 3 on Monday
    assert incident.acknowledge_due_at == utc(2026, 11, 30, 12)
    assert incident.acknowledge_warn_at == utc(2026, 11, 30, 11)  # 3 h: 1 Friday + 2 Monday
    # 3 business days of 8 h: 1 h Friday, Monday, Tuesday, 7 h Wednesday → Wednesday 16:00
    assert incident.resolve_due_at == utc(2026, 12, 2, 16)
    # 75 % = 1080 min: 1 h Friday, 8 h Monday, 8 h Tuesday, 1 h Wednesday (60 + 960 + 60)
    assert incident.resolve_warn_at == utc(2026, 12, 2, 10)
    assert incident.next_update_due_at is None  # no stakeholder cadence below P2
    assert incident.sla_next_check_at == utc(2026, 11, 30, 11)


def test_p4_and_a_service_without_calendar_use_the_default_office_calendar(log_incident, make_service):
    incident = log_incident("P4", when=utc(2026, 11, 27, 16), service=make_service(calendar=None))
    assert incident.acknowledge_due_at == utc(2026, 11, 30, 16)  # 1 business day
    assert incident.resolve_due_at == utc(2026, 12, 4, 16)  # 5 business days


def test_p3_on_the_24x7_calendar_counts_elapsed_time(log_incident, always_service):
    logged = utc(2026, 11, 27, 16)
    incident = log_incident("P3", when=logged, service=always_service)
    assert incident.acknowledge_due_at == logged + timedelta(hours=4)
    assert incident.resolve_due_at == logged + timedelta(hours=24)


def test_business_deadlines_follow_the_services_holidays_zone_and_closures(log_incident, make_service):
    uk = BusinessCalendar.objects.create(
        name="UK desk",
        time_zone="Europe/London",
        working_days=[1, 2, 3, 4, 5],
        day_start=time(9),
        day_end=time(17),
        holiday_country="GB",
    )
    service = make_service(uk)
    # Thursday 24 December 16:00 GMT: 1 h, then closed 25–28 December; Tuesday 29th 09:00 + 3 h
    incident = log_incident("P3", when=utc(2026, 12, 24, 16), service=service)
    assert incident.acknowledge_due_at == utc(2026, 12, 29, 12)

    CalendarClosure.objects.create(calendar=uk, date=date(2026, 12, 29), reason="Office move")
    later = log_incident("P3", when=utc(2026, 12, 24, 16), service=service)
    assert later.acknowledge_due_at == utc(2026, 12, 30, 12)

    # in summer the desk's 09:00–17:00 is 08:00–16:00 UTC: Friday 15:30 UTC is 16:30 BST,
    # 30 minutes left; Monday 09:00 BST (08:00 UTC) + 3 h 30 → 11:30 UTC
    summer = log_incident("P3", when=utc(2026, 7, 3, 15, 30), service=service)
    assert summer.acknowledge_due_at == utc(2026, 7, 6, 11, 30)


def test_prioritizing_p3_to_p1_recomputes_deadlines_and_audits_them(log_incident, manager, office_service):
    incident = log_incident("P3", when=T0, service=office_service)  # Wednesday 10:00
    # 3 business days from Wednesday 10:00: 7 h Wed, Thu, Fri, 1 h Monday
    old_resolve = utc(2026, 11, 30, 10)
    assert incident.resolve_due_at == old_resolve
    assert incident.acknowledge_due_at == T0 + timedelta(hours=4)

    with at(T0 + minutes(5)):
        services.incident_prioritize(
            incident=incident.reference, actor=manager, priority="P1", justification="Payroll is down."
        )
    incident = reload(incident)
    assert incident.priority == "P1"
    assert incident.acknowledge_due_at == T0 + minutes(15)  # still from the logging time
    assert incident.resolve_due_at == T0 + timedelta(hours=4)
    assert incident.next_update_due_at == T0 + minutes(30)
    assert incident.sla_next_check_at == T0 + minutes(11.25)

    event = audit_for(incident).last()
    assert event.domain_action == "update"
    assert event.actor == manager
    assert event.changes["priority"] == ["P3", "P1"]
    assert event.changes["resolve_due_at"] == [old_resolve.isoformat(), (T0 + timedelta(hours=4)).isoformat()]
    assert event.changes["acknowledge_due_at"] == [
        (T0 + timedelta(hours=4)).isoformat(),
        (T0 + minutes(15)).isoformat(),
    ]
    assert event.changes["next_update_due_at"] == [None, (T0 + minutes(30)).isoformat()]


def test_an_operation_that_moves_no_deadline_audits_none(log_incident, manager):
    incident = log_incident("P3", when=T0)
    with at(T0 + minutes(5)):
        services.incident_diagnose(incident=incident.reference, actor=manager, steps="Checked the logs.")
    event = audit_for(incident).last()
    assert not {"acknowledge_due_at", "resolve_due_at", "next_update_due_at"} & set(event.changes)


# --- the vendor pause ------------------------------------------------------------------


@pytest.fixture
def vendor(db):
    return Vendor.objects.create(name="Acme Networks")


def _assign_and_engage(incident, manager, vendor, engage_at):
    with at(incident.logged_at + minutes(1)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L2")
    with at(engage_at):
        services.incident_engage_vendor(
            incident=incident.reference, actor=manager, vendor=vendor.reference, contact_method="phone"
        )
    return reload(incident)


def test_vendor_pause_on_the_24x7_clock_moves_resolve_by_the_paused_time(log_incident, manager, vendor):
    incident = log_incident("P2", when=T0)
    assert incident.resolve_due_at == T0 + timedelta(hours=8)
    incident = _assign_and_engage(incident, manager, vendor, T0 + timedelta(hours=1))
    assert incident.status == "pending_vendor"
    assert incident.resolve_due_at is None and incident.resolve_warn_at is None  # the clock is stopped
    assert sla_state(incident, T0 + timedelta(hours=2))["resolve"] == {"paused": True}
    engaged = audit_for(incident).last()
    assert engaged.changes["resolve_due_at"] == [(T0 + timedelta(hours=8)).isoformat(), None]

    with at(T0 + timedelta(hours=3)):
        services.incident_vendor_responded(incident=incident.reference, actor=manager, note="Patched.")
    incident = reload(incident)
    assert incident.status == "in_progress"
    assert incident.sla_paused_minutes == 120
    assert incident.paused_seconds == 2 * 3600
    assert incident.resolve_due_at == T0 + timedelta(hours=10)
    assert incident.resolve_warn_at == T0 + timedelta(hours=6 + 2)
    responded = audit_for(incident).last()
    assert responded.changes["resolve_due_at"] == [None, (T0 + timedelta(hours=10)).isoformat()]


def test_vendor_pause_outside_business_hours_moves_nothing(log_incident, manager, vendor, office_service):
    incident = log_incident("P3", when=T0, service=office_service)  # Wednesday 10:00
    due = incident.resolve_due_at
    assert due == utc(2026, 11, 30, 10)
    # engaged Wednesday 18:00, answered Thursday 08:00: the whole pause is out of hours
    incident = _assign_and_engage(incident, manager, vendor, utc(2026, 11, 25, 18))
    assert incident.resolve_due_at is None
    with at(utc(2026, 11, 26, 8)):
        services.incident_vendor_responded(incident=incident.reference, actor=manager)
    incident = reload(incident)
    assert incident.sla_paused_minutes == 0
    assert incident.paused_seconds == 14 * 3600
    assert incident.resolve_due_at == due


def test_vendor_pause_counts_only_the_business_time_it_covers(log_incident, manager, vendor, office_service):
    incident = log_incident("P3", when=T0, service=office_service)
    # engaged Wednesday 16:00, answered Thursday 10:00: 1 h Wednesday + 1 h Thursday
    incident = _assign_and_engage(incident, manager, vendor, utc(2026, 11, 25, 16))
    with at(utc(2026, 11, 26, 10)):
        services.incident_vendor_responded(incident=incident.reference, actor=manager)
    incident = reload(incident)
    assert incident.sla_paused_minutes == 120
    assert incident.resolve_due_at == utc(2026, 11, 30, 12)


def test_resolving_while_paused_keeps_the_paused_time(log_incident, manager, vendor):
    incident = log_incident("P2", when=T0)
    incident = _assign_and_engage(incident, manager, vendor, T0 + timedelta(hours=1))
    with at(T0 + timedelta(hours=4)):
        services.incident_resolve(
            incident=incident.reference,
            actor=manager,
            resolution_summary="Vendor fixed it.",
            service_restored=True,
        )
    incident = reload(incident)
    assert incident.status == "resolved"
    assert incident.sla_paused_minutes == 180
    # measured against the deadline moved by the whole pause: 8 h + 3 h paused
    assert incident.resolve_due_at == T0 + timedelta(hours=11)
    resolve = sla_state(incident, T0 + timedelta(days=1))["resolve"]
    assert resolve == {
        "due_at": T0 + timedelta(hours=11),
        "met_at": T0 + timedelta(hours=4),
        "remaining_seconds": None,
        "breached": False,
        "at_risk": False,
    }


# --- the API ---------------------------------------------------------------------------


def test_api_detail_shows_the_sla_timers(api, log_incident, manager):
    incident = log_incident("P1", when=T0)
    client = api(manager)

    with at(T0 + minutes(5)):
        body = client.get(f"{INCIDENTS}{incident.reference}/").json()["sla"]
    assert body["policy_version"] == 1
    ack = body["acknowledge"]
    assert parse(ack["due_at"]) == T0 + minutes(15)
    assert ack["remaining_seconds"] == 600
    assert ack["breached"] is False and ack["at_risk"] is False
    assert ack["met_at"] is None
    assert parse(body["resolve"]["due_at"]) == T0 + timedelta(hours=4)
    assert body["resolve"]["remaining_seconds"] == (4 * 60 - 5) * 60
    assert parse(body["next_update"]["due_at"]) == T0 + minutes(30)

    with at(T0 + minutes(12)):  # past 75 % of the acknowledge target
        ack = client.get(f"{INCIDENTS}{incident.reference}/").json()["sla"]["acknowledge"]
    assert ack["at_risk"] is True and ack["breached"] is False
    assert ack["remaining_seconds"] == 180

    with at(T0 + minutes(20)):
        body = client.get(f"{INCIDENTS}{incident.reference}/").json()["sla"]
    assert body["acknowledge"]["breached"] is True and body["acknowledge"]["at_risk"] is False
    assert body["acknowledge"]["remaining_seconds"] == -300
    assert body["resolve"]["breached"] is False

    with at(T0 + minutes(25)):
        services.incident_assign(incident=incident.reference, actor=manager, team="L2")
        ack = client.get(f"{INCIDENTS}{incident.reference}/").json()["sla"]["acknowledge"]
    assert parse(ack["met_at"]) == T0 + minutes(25)
    assert ack["remaining_seconds"] is None
    assert ack["breached"] is True  # met, but late


def test_api_detail_shows_a_paused_resolve_timer(api, log_incident, manager, vendor):
    incident = _assign_and_engage(log_incident("P2", when=T0), manager, vendor, T0 + timedelta(hours=1))
    with at(T0 + timedelta(hours=2)):
        body = api(manager).get(f"{INCIDENTS}{incident.reference}/").json()["sla"]
    assert body["resolve"] == {"paused": True}


def test_api_list_filters_breached_and_at_risk(api, log_incident, manager, always_service):
    now = T0 + timedelta(hours=6)
    # logged 6 h before now, never acknowledged: P2 acknowledge target (30 min) breached
    ack_breached = log_incident("P2", when=T0, title="ack breached")
    # logged 3 h 10 min before now on 24×7: 190 of 240 minutes used (> 75 %), not yet due
    ack_at_risk = log_incident("P3", when=now - minutes(190), service=always_service, title="ack at risk")
    # acknowledged in time, resolve target (4 h) missed
    resolve_breached = log_incident("P1", when=T0, title="resolve breached")
    with at(T0 + minutes(5)):
        services.incident_assign(incident=resolve_breached.reference, actor=manager, team="L2")
    # acknowledged, 19 of 24 h used on 24×7 (> 75 % of resolve)
    resolve_at_risk = log_incident(
        "P3", when=now - timedelta(hours=19), service=always_service, title="resolve risk"
    )
    with at(now - timedelta(hours=18)):
        services.incident_assign(incident=resolve_at_risk.reference, actor=manager, team="L1")
    # acknowledged 25 minutes after logging a P1 (target 15): the acknowledge target was missed
    late_ack = log_incident("P1", when=now - timedelta(hours=1), title="acknowledged late")
    with at(now - minutes(35)):
        services.incident_assign(incident=late_ack.reference, actor=manager, team="L2")
    # fresh and fine
    log_incident("P3", when=now - minutes(10), service=always_service, title="fresh")
    # resolved past its deadlines: no longer running, listed by neither
    done = log_incident("P1", when=T0 - timedelta(days=1), title="resolved late")
    with at(T0):
        services.incident_assign(incident=done.reference, actor=manager, team="L2")
        services.incident_resolve(
            incident=done.reference, actor=manager, resolution_summary="Fixed.", service_restored=True
        )

    client = api(manager)
    with at(now):
        breached = client.get(INCIDENTS, {"sla": "breached"}).json()["results"]
        at_risk = client.get(INCIDENTS, {"sla": "at_risk"}).json()["results"]
        bad = client.get(INCIDENTS, {"sla": "late"})
    assert {r["id"] for r in breached} == {
        ack_breached.reference,
        resolve_breached.reference,
        late_ack.reference,
    }
    assert {r["id"] for r in at_risk} == {ack_at_risk.reference, resolve_at_risk.reference}
    assert bad.status_code == 400
