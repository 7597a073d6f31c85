"""The OpenAPI schema documents the error envelope of API.md on every operation.

A drf-spectacular postprocessing hook: one ``Error`` component, and on each operation the
refusals it can answer (every request can be invalid, unauthenticated, forbidden, not
found or throttled; a write can also meet a state, version or precondition refusal).
"""

from core.errors import HTTP_STATUS, ErrorCode

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every refusal: a stable code, a message naming the record and what would "
    "make the operation possible, and the bad fields (if any).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": [str(code) for code in ErrorCode]},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message", "fields"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}


def _codes_for(status: int) -> str:
    return ", ".join(f"`{code}`" for code, code_status in HTTP_STATUS.items() if code_status == status)


EVERY_OPERATION = (400, 401, 403, 404, 429)
WRITES = (409, 412)
BODY = (415,)
WHEN = {
    400: "Missing or invalid input (body, query or page); `fields` names each bad field.",
    401: "No or bad credentials.",
    403: "The caller's role may not do this (or segregation of duties forbids it).",
    404: "No such record, not visible to the caller, or a page past the last one.",
    409: "The record's state does not allow it, it changed since it was read, or a duplicate.",
    412: "A precondition of the operation is not met.",
    415: "The body is not JSON (or a form).",
    429: "Too many requests; Retry-After says when to try again.",
}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            statuses = list(EVERY_OPERATION)
            if method != "get":
                statuses += WRITES
            if "requestBody" in operation:
                statuses += BODY
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(
                    str(status),
                    {
                        "description": f"{WHEN[status]} Codes: {_codes_for(status)}.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
