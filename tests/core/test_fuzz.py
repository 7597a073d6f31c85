"""Schemathesis fuzzes every operation of /api/schema/ as several roles, in process (WSGI)
against seeded records, within a bounded budget: no server error, every status code and
body as the schema documents it, every refusal in the error envelope of API.md.

Path ids are pinned to seeded records (INC-…, SVC-…, SLA-v1, …) most of the time, so the
operations reach their services rather than stopping at not_found; the rest keep the
generated id, which must be a not_found envelope."""

import hashlib
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from audit.models import AuditEvent
from catalog.models import Vendor, VendorContact
from ims.wsgi import application
from incidents.models import VendorEngagement
from sla.models import SlaPolicy
from tests.incidents.factories import incident_in, make_service, make_staff

# once per suite run, on the production database: the schema and the views are the same on
# SQLite, and the fuzz costs minutes
pytestmark = pytest.mark.postgres

MAX_EXAMPLES = 3  # per operation, mode and role: 34 × 2 × 3 = ~190 requests a role, ~2 min in all
ROLES = {  # role → its team (the workspace's queues and take/ need one)
    "service_desk": "service_desk",
    "l2": "L2",
    "end_user": None,
    "incident_manager": "incident_manager",
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REQUESTS = Counter()


@pytest.fixture(params=list(ROLES), ids=list(ROLES))
def fuzz_world(request, db, settings):
    """Seeded records (every incident state, null assignee and SLA author, a vendor
    engagement, audit events) and a token of the role under test."""
    role = request.param
    user = make_staff(role, team=ROLES[role], username=f"fuzz-{role}")
    manager = make_staff("incident_manager", team="incident_manager")
    service = make_service("Mail")
    vendor = Vendor.objects.create(name="Acme")
    VendorContact.objects.create(vendor=vendor, name="Ann", email="ann@example.com")
    reporter = user if role == "end_user" else make_staff("end_user")
    incidents = [
        incident_in(status, actor=manager, reporter=reporter, service=service, vendor=vendor)
        for status in ("open", "in_progress", "escalated", "pending_vendor", "resolved", "closed")
    ]
    _, key = ApiToken.issue(user=user, name="fuzz")
    ids = {
        "/api/v1/incidents/": [i.reference for i in incidents],
        "/api/v1/services/": [service.reference],
        "/api/v1/vendors/": [vendor.reference],
        "/api/v1/vendor-engagements/": list(VendorEngagement.objects.values_list("reference", flat=True)),
        "/api/v1/sla-policies/": [f"SLA-v{v}" for v in SlaPolicy.objects.values_list("version", flat=True)],
        "/api/v1/audit/": [str(seq) for seq in AuditEvent.objects.values_list("seq", flat=True)[:5]],
    }
    # Django's test client does the same: closing "old" connections would end the test's
    # transaction in the middle of it
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"role": role, "headers": {"Authorization": f"Token {key}"}, "ids": ids}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _pin_path_ids(case, ids: dict) -> None:
    for name, value in (case.path_parameters or {}).items():
        prefix = next((p for p in ids if case.path.startswith(p)), None)
        if prefix is None or not ids[prefix]:
            continue
        digest = int(hashlib.sha256(repr(value).encode()).hexdigest(), 16)
        if digest % 5:  # four in five: a real record; else the generated id (not_found)
            case.path_parameters[name] = ids[prefix][digest % len(ids[prefix])]


def _assert_envelope(response) -> None:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body


def _fuzz(operation, mode, world, failures: list) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        _pin_path_ids(case, world["ids"])
        response = case.call(headers=world["headers"])
        REQUESTS[world["role"]] += 1
        try:
            case.validate_response(response, checks=CHECKS)
            if response.status_code >= 400:
                _assert_envelope(response)
        except Exception as exc:  # noqa: BLE001 - collected, reported together below
            failures.append(f"{operation.label} ({mode}): {exc}\n  {case.as_curl_command()}")
            raise

    try:
        run()
    except (Exception, BaseExceptionGroup):  # noqa: BLE001 - hypothesis re-raises what run() collected
        pass


def test_the_api_conforms_to_its_schema_for_every_role(fuzz_world):
    """Every operation, positive and negative data, as this role: no failure at all."""
    api = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, fuzz_world, failures)
    role = fuzz_world["role"]
    print(f"fuzzed {REQUESTS[role]} requests as {role} over {len(operations)} operations")
    assert REQUESTS[role] >= 4 * len(operations), REQUESTS  # the budget was spent, not skipped
    assert not failures, "\n".join(failures[:20])
