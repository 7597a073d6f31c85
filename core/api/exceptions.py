"""One exception handler: every error, ours and DRF's, leaves as the envelope of API.md."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core.errors import HTTP_STATUS, DomainError, ErrorCode

logger = logging.getLogger(__name__)


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(m) for m in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else _fields(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": [str(m) for m in _flatten(detail)]}


def _validation_message(fields: dict) -> str:
    parts = []
    for key, value in fields.items():
        messages = _flatten(value)
        if key == "non_field_errors":
            parts.extend(messages)
        else:
            parts.append(f"{key}: {' '.join(messages)}")
    return "Invalid input. " + "; ".join(parts) if parts else "Invalid input."


def to_domain_error(exc: Exception) -> DomainError | None:
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        return DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, the most an "
            "IMS request may carry.",
        )
    if isinstance(exc, Http404):
        return DomainError(ErrorCode.NOT_FOUND, str(exc) or "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return DomainError(ErrorCode.PERMISSION_DENIED, str(exc) or "Permission denied.")
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return DomainError(ErrorCode.VALIDATION_ERROR, _validation_message(fields), fields)
    if isinstance(exc, drf.ValidationError):
        fields = _fields(exc.detail)
        return DomainError(ErrorCode.VALIDATION_ERROR, _validation_message(fields), fields)
    if isinstance(exc, drf.ParseError):
        return DomainError(ErrorCode.VALIDATION_ERROR, f"Malformed request body: {exc.detail}")
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return DomainError(ErrorCode.NOT_AUTHENTICATED, str(exc.detail))
    if isinstance(exc, drf.PermissionDenied):
        return DomainError(ErrorCode.PERMISSION_DENIED, str(exc.detail))
    if isinstance(exc, drf.NotFound):
        return DomainError(ErrorCode.NOT_FOUND, str(exc.detail))
    if isinstance(exc, drf.MethodNotAllowed):
        return DomainError(ErrorCode.METHOD_NOT_ALLOWED, str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType | drf.NotAcceptable):
        return DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, str(exc.detail))
    if isinstance(exc, drf.Throttled):
        wait = f" Retry in {int(exc.wait)} s." if exc.wait is not None else ""
        return DomainError(ErrorCode.RATE_LIMITED, f"Too many requests.{wait}")
    if isinstance(exc, drf.APIException):
        code = ErrorCode.SERVER_ERROR if exc.status_code >= 500 else ErrorCode.VALIDATION_ERROR
        return DomainError(code, str(exc.detail))
    return None


def exception_handler(exc, context):
    error = to_domain_error(exc)
    if error is None:
        return None  # a real bug: let Django log it and answer 500
    headers = {}
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    if error.code == ErrorCode.NOT_AUTHENTICATED:
        request = context.get("request")
        authenticators = getattr(request, "authenticators", None) or []
        if authenticators:
            header = authenticators[0].authenticate_header(request)
            if header:
                headers["WWW-Authenticate"] = header
    status = HTTP_STATUS[error.code]
    if isinstance(exc, drf.NotAcceptable):
        status = exc.status_code
    return Response(error.as_envelope(), status=status, headers=headers)
