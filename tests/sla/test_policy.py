"""SLA policy as versioned data: the defaults of SPEC.md, publishing a new version (service
and API), and which version an incident is measured against."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.services import incident_assign
from sla.models import SlaPolicy, SlaTarget
from sla.services import sla_policy_current, sla_policy_publish
from tests.helpers import assert_error
from tests.sla.support import T0, at, minutes, reload

POLICIES = "/api/v1/sla-policies/"
REFUSED = "Only an incident manager or an admin may change the SLA policy."

# SPEC.md, "SLAs and escalations": a business day is 8 business hours (480 minutes)
SPEC_TABLE = {
    "P1": (15, 4 * 60, 30, "24x7"),
    "P2": (30, 8 * 60, 60, "24x7"),
    "P3": (4 * 60, 3 * 480, None, "business_hours"),
    "P4": (480, 5 * 480, None, "business_hours"),
}


def targets(**overrides) -> dict:
    """A complete, valid set of targets (tighter than v1), with per-priority overrides."""
    base = {
        "P1": {
            "acknowledge_minutes": 10,
            "resolve_minutes": 120,
            "update_every_minutes": 20,
            "clock": "24x7",
        },
        "P2": {
            "acknowledge_minutes": 20,
            "resolve_minutes": 360,
            "update_every_minutes": 60,
            "clock": "24x7",
        },
        "P3": {"acknowledge_minutes": 120, "resolve_minutes": 960, "clock": "business_hours"},
        "P4": {"acknowledge_minutes": 480, "resolve_minutes": 2400, "clock": "business_hours"},
    }
    for priority, fields in overrides.items():
        base[priority] = {**base[priority], **fields}
    return base


def target_rows(policy) -> dict:
    return {
        t.priority: (t.acknowledge_minutes, t.resolve_minutes, t.update_every_minutes, t.clock)
        for t in policy.targets.all()
    }


@pytest.mark.django_db
def test_default_policy_v1_is_the_table_of_the_spec():
    assert list(SlaPolicy.objects.values_list("version", flat=True)) == [1]
    policy = sla_policy_current()
    assert policy.version == 1
    assert target_rows(policy) == SPEC_TABLE


# --- publishing ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["incident_manager", "admin"])
def test_policy_editors_publish_version_2_with_an_audit_event(make_user, role):
    editor = make_user(role, username=f"editor-{role}")
    policy = sla_policy_publish(actor=editor, targets=targets(), note="  Tighter P1 and P2  ")
    assert policy.version == 2
    assert policy.note == "Tighter P1 and P2"
    assert policy.created_by == editor
    assert sla_policy_current() == policy
    assert target_rows(policy) == {
        "P1": (10, 120, 20, "24x7"),
        "P2": (20, 360, 60, "24x7"),
        "P3": (120, 960, None, "business_hours"),
        "P4": (480, 2400, None, "business_hours"),
    }
    assert target_rows(SlaPolicy.objects.get(version=1)) == SPEC_TABLE  # v1 is untouched
    event = AuditEvent.objects.get(ref_type="sla_policy")
    assert event.ref_id == "SLA-v2"
    assert event.domain_action == "update"
    assert event.actor == editor and event.actor_label == editor.username
    assert event.changes["version"] == [1, 2]
    assert event.changes["targets"][1]["P1"] == [10, 120, 20, "24x7"]
    assert event.changes["targets"][1]["P3"] == [120, 960, None, "business_hours"]

    third = sla_policy_publish(actor=editor, targets=targets())
    assert third.version == 3
    assert AuditEvent.objects.filter(ref_type="sla_policy").count() == 2


@pytest.mark.parametrize(
    ("role", "spec", "code", "message"),
    [
        ("service_desk", targets(), ErrorCode.PERMISSION_DENIED, REFUSED),
        ("l3", targets(), ErrorCode.PERMISSION_DENIED, REFUSED),
        ("service_desk_manager", targets(), ErrorCode.PERMISSION_DENIED, REFUSED),
        (
            "incident_manager",
            {k: v for k, v in targets().items() if k != "P4"},
            ErrorCode.VALIDATION_ERROR,
            "A policy needs targets for every priority; missing P4.",
        ),
        (
            "incident_manager",
            {"P2": targets()["P2"]},
            ErrorCode.VALIDATION_ERROR,
            "A policy needs targets for every priority; missing P1, P3, P4.",
        ),
        (
            "incident_manager",
            targets(P2={"acknowledge_minutes": 500, "resolve_minutes": 480}),
            ErrorCode.VALIDATION_ERROR,
            "P2: the acknowledge target cannot exceed the resolve target.",
        ),
        (
            "admin",
            targets(P3={"clock": "lunar"}),
            ErrorCode.VALIDATION_ERROR,
            "P3: clock must be one of 24x7, business_hours.",
        ),
        (
            "admin",
            targets(P1={"resolve_minutes": 0}),
            ErrorCode.VALIDATION_ERROR,
            "P1: acknowledge_minutes and resolve_minutes must be positive whole minutes.",
        ),
        (
            "admin",
            targets(P4={"acknowledge_minutes": 1.5}),
            ErrorCode.VALIDATION_ERROR,
            "P4: acknowledge_minutes and resolve_minutes must be positive whole minutes.",
        ),
        (
            "incident_manager",
            {**targets(), "P5": targets()["P4"]},
            ErrorCode.VALIDATION_ERROR,
            "Unknown priority P5; targets are set for P1, P2, P3, P4.",
        ),
        (
            "admin",
            targets(P1={"update_every_minutes": 0}),
            ErrorCode.VALIDATION_ERROR,
            "P1: update_every_minutes must be a positive whole number or null.",
        ),
    ],
)
def test_publish_refusals_change_nothing(make_user, role, spec, code, message):
    actor = make_user(role)
    with pytest.raises(DomainError) as refused:
        sla_policy_publish(actor=actor, targets=spec)
    assert refused.value.code == code
    assert refused.value.message == message
    assert list(SlaPolicy.objects.values_list("version", flat=True)) == [1]
    assert SlaTarget.objects.count() == 4
    assert not AuditEvent.objects.filter(ref_type="sla_policy").exists()


def test_incidents_keep_the_version_they_were_logged_under(make_user, log_incident, manager):
    before = log_incident("P1", when=T0)
    assert before.sla_policy.version == 1
    sla_policy_publish(actor=manager, targets=targets())
    after = log_incident("P1", when=T0 + minutes(5))

    assert after.sla_policy.version == 2
    assert after.acknowledge_due_at == T0 + minutes(5 + 10)  # v2: 10 minutes
    assert after.resolve_due_at == T0 + minutes(5 + 120)
    assert after.next_update_due_at == T0 + minutes(5 + 20)

    # an operation on the older incident recomputes its deadlines against v1, not v2
    with at(T0 + minutes(10)):
        incident_assign(incident=before.reference, actor=manager, team="L2")
    before = reload(before)
    assert before.sla_policy.version == 1
    assert before.acknowledge_due_at == T0 + minutes(15)
    assert before.resolve_due_at == T0 + minutes(240)
    assert before.next_update_due_at == T0 + minutes(30)


# --- API -------------------------------------------------------------------------------


def test_api_lists_policy_versions_newest_first(api, make_user, manager):
    sla_policy_publish(actor=manager, targets=targets(), note="v2")
    response = api(make_user("l2", team="L2")).get(POLICIES)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [p["id"] for p in results] == ["SLA-v2", "SLA-v1"]
    assert results[0]["created_by"] == manager.username
    v1 = {t["priority"]: t for t in results[1]["targets"]}
    assert v1["P3"] == {
        "priority": "P3",
        "acknowledge_minutes": 240,
        "resolve_minutes": 1440,
        "update_every_minutes": None,
        "clock": "business_hours",
    }
    detail = api(make_user("auditor")).get(POLICIES + "SLA-v1/")
    assert detail.status_code == 200
    assert detail.json()["version"] == 1
    assert_error(
        api(make_user("auditor")).get(POLICIES + "SLA-v9/"),
        404,
        "not_found",
        "SLA policy SLA-v9 was not found.",
    )


def test_api_policy_read_needs_a_staff_role(api, make_user):
    response = api(make_user("end_user")).get(POLICIES)
    assert_error(response, 403, "permission_denied")
    assert_error(api().get(POLICIES), 401, "not_authenticated")


def test_api_publish_refused_for_l2(api, make_user):
    response = api(make_user("l2", team="L2")).post(POLICIES, {"targets": targets()}, format="json")
    assert_error(response, 403, "permission_denied", REFUSED)
    assert SlaPolicy.objects.count() == 1


def test_api_publish_by_incident_manager(api, manager):
    response = api(manager).post(POLICIES, {"note": "Faster P1", "targets": targets()}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == "SLA-v2"
    assert body["version"] == 2
    assert body["note"] == "Faster P1"
    assert body["created_by"] == manager.username
    assert {t["priority"]: t["acknowledge_minutes"] for t in body["targets"]} == {
        "P1": 10,
        "P2": 20,
        "P3": 120,
        "P4": 480,
    }
    assert sla_policy_current().version == 2
    assert AuditEvent.objects.filter(ref_type="sla_policy", ref_id="SLA-v2", actor=manager).count() == 1


def test_api_publish_validation_error(api, manager):
    response = api(manager).post(
        POLICIES, {"targets": targets(P2={"acknowledge_minutes": 500, "resolve_minutes": 480})}, format="json"
    )
    assert_error(
        response, 400, "validation_error", "P2: the acknowledge target cannot exceed the resolve target."
    )
    response = api(manager).post(POLICIES, {"targets": targets(P3={"clock": "lunar"})}, format="json")
    assert_error(response, 400, "validation_error")
    assert SlaPolicy.objects.count() == 1
