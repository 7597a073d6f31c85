"""The API's JSON parser: a body nested deeper than any IMS operation takes is refused.

Python's decoder raises RecursionError (not ValueError) near a thousand levels, and the
serializers and the error envelope walk what it returns recursively; so a deep body is a
validation_error here, before anything else sees it.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser

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


class JSONParser(BaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.") from exc
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.")
        return data
