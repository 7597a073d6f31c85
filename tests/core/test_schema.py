import pytest
from django.core.management import call_command


def test_the_openapi_schema_generates_without_warnings(db, tmp_path):
    """/api/schema/ documents every endpoint; a warning means an undocumented field or type."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/incidents/{id}/escalate/:" in text
    assert "/api/v1/sla-policies/:" in text
    assert "tokenAuth" in text


def test_swagger_ui_is_served_with_local_assets(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in page.content
    assert b"cdn" not in page.content.lower()


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_the_error_envelope_of_each_refusal_it_can_answer(schema):
    envelope = schema["components"]["schemas"]["Error"]
    assert envelope["required"] == ["error"]
    assert envelope["properties"]["error"]["required"] == ["code", "message", "fields"]
    assert "invalid_transition" in envelope["properties"]["error"]["properties"]["code"]["enum"]
    for path, method, operation in _operations(schema):
        expected = {"400", "401", "403", "404", "429"} | ({"409", "412"} if method != "get" else set())
        assert expected <= set(operation["responses"]), (path, method, sorted(operation["responses"]))
        for status in expected:
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_values_the_responses_carry_are_in_the_schema(schema):
    """ "" escalation target before any escalation; null people, team and SLA author."""
    schemas = schema["components"]["schemas"]
    incident = schemas["IncidentDetail"]["properties"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in incident["escalation_target"]["oneOf"]
    for field in ("assignee", "assigned_team", "incident_commander", "communications_lead", "technical_lead"):
        assert incident[field].get("nullable") is True, field
    assert schemas["SlaPolicy"]["properties"]["created_by"]["nullable"] is True
    assert schemas["Communication"]["properties"]["sender"]["nullable"] is True
    service = schemas["ServiceOutput"]["properties"]
    assert service["owner_team"]["nullable"] is True and service["calendar"]["nullable"] is True


def test_an_incidents_communications_are_a_bare_list_without_list_filters(schema):
    operation = schema["paths"]["/api/v1/incidents/{id}/communications/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"type": "array", "items": {"$ref": "#/components/schemas/Communication"}}
    assert [p["name"] for p in operation["parameters"]] == ["id"]


def test_path_ids_are_strings_and_pages_start_at_one(schema):
    for path, _, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":
                assert parameter["schema"]["type"] == "string", path
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert parameters["page"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}


def test_the_incident_detail_documents_what_the_apps_above_incidents_add():
    """incidents.related's keys and allowed_links are in the incident detail's schema."""
    from drf_spectacular.generators import SchemaGenerator

    from incidents.related import related_all

    schema = SchemaGenerator().get_schema(request=None, public=True)
    detail = schema["components"]["schemas"]["IncidentDetail"]
    keys = {r.key for r in related_all()}
    assert {"problems", "changes", "kb_articles", "review"} <= keys
    assert keys | {"allowed_links"} <= set(detail["properties"]) and keys <= set(detail["required"])
    assert detail["properties"]["allowed_links"]["items"] == {"type": "string"}
