"""The one error type of IMS: every refusal is a DomainError with a stable code.

The DRF exception handler (core.api.exceptions) renders it as the envelope of API.md and
browser views show the same message.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    NOT_AUTHENTICATED = "not_authenticated"
    PERMISSION_DENIED = "permission_denied"
    SEGREGATION_OF_DUTIES = "segregation_of_duties"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_TRANSITION = "invalid_transition"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    PRECONDITION_FAILED = "precondition_failed"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"


HTTP_STATUS = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.SEGREGATION_OF_DUTIES: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.PRECONDITION_FAILED: 412,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVER_ERROR: 500,
}


class DomainError(Exception):
    """A refused operation. Nothing was changed when this is raised from a service."""

    def __init__(self, code: ErrorCode, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.fields = fields or {}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def as_envelope(self) -> dict:
        return {"error": {"code": str(self.code), "message": self.message, "fields": self.fields}}

    def __repr__(self) -> str:
        return f"DomainError({self.code!s}, {self.message!r}, {self.fields!r})"


def validation_error(message: str, /, **fields: str) -> DomainError:
    # positional-only: a field may itself be called "message" (e.g. a communication's)
    return DomainError(ErrorCode.VALIDATION_ERROR, message, {k: [v] for k, v in fields.items()})


def not_found(what: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} was not found.")
