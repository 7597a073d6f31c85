def assert_error(response, status: int, code: str, message: str | None = None, contains: str | None = None):
    """Assert the API.md envelope: status, code and (exact or partial) message."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    if message is not None:
        assert body["error"]["message"] == message, body
    if contains is not None:
        assert contains in body["error"]["message"], body
    return body["error"]
