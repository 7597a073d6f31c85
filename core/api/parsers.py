"""The API's JSON parser: a body larger or nested deeper than any IMS operation takes is
refused.

Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a view reads ``request.body`` or a
form; DRF's parsers read the stream, so a JSON body of any size got through (issue 15 #6).

Python's decoder raises RecursionError (not ValueError) near a thousand levels, and the
serializers and the error envelope walk what it returns recursively; so a deep body is a
validation_error here, before anything else sees it.
"""

import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser

from core.errors import DomainError, ErrorCode

MAX_DEPTH = 32  # the deepest IMS body (an SLA policy's targets) is 3


def _depth_exceeds(value, limit: int) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` deep (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _bounded(stream):
    """The body, read up to the limit: one byte more is a refusal (a client can lie about its
    Content-Length, or send none)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"The request body is larger than {limit} bytes, the most an IMS request may carry.",
        )
    return io.BytesIO(body)


class JSONParser(BaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        stream = _bounded(stream)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.") from exc
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.")
        return data
