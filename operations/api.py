"""The API of a governed entity (API.md): a collection, a detail and one POST per operation.

``GovernedViewSet`` is what every entity's viewset starts from: detail lookups by reference
through the visibility selector (what the caller may not see is not found), the detail with
``allowed_actions`` and an ``ETag`` of its version, and ``act`` for an operation: parse the
body, take the expected version (``version`` or ``If-Match``), call the service, answer the
record as it now is.
"""

from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.lookups import ReferenceLookupMixin
from core.errors import validation_error
from operations.path import Governed


def expected_version(request, data: dict, noun: str = "record") -> int | None:
    """The version the client acted on: body ``version`` or an ``If-Match`` header."""
    if data.get("version") is not None:
        return data["version"]
    header = request.headers.get("If-Match", "").strip().strip('W/"').strip('"')
    if header:
        try:
            return int(header)
        except ValueError as exc:
            raise validation_error(
                f"If-Match must be the {noun}'s version number.", version="Bad If-Match."
            ) from exc
    return None


class GovernedViewSet(
    ReferenceLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Subclasses set ``governed``, ``serializer_class`` (list rows), ``detail_serializer_class``
    and ``subject`` (the services' keyword for the record: ``problem=``)."""

    governed: Governed
    detail_serializer_class = None
    subject = ""

    @property
    def reference_label(self) -> str:
        return self.governed.noun.capitalize()

    def get_queryset(self):
        return self.rows(self.governed.visible_to(self.request.user))

    def rows(self, queryset):
        """The queryset a list or a detail reads (select_related, ordering)."""
        return queryset

    def get_serializer_class(self):
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    # not ``detail``: DRF's ViewSetMixin.as_view sets ``cls.detail = None`` (and the router a
    # ``detail`` flag on each view), which would hide a method of that name
    def detail_response(self, obj, code=status.HTTP_200_OK, **extra) -> Response:
        body = self.detail_serializer_class(obj, context=self.get_serializer_context()).data
        body["allowed_actions"] = self.governed.allowed_actions(self.request.user, obj)
        body.update(extra)
        response = Response(body, status=code)
        response["ETag"] = f'"{obj.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.detail_response(self.get_object())

    def fresh(self, reference: str):
        self.kwargs[self.lookup_url_kwarg] = reference
        return self.get_object()

    def act(self, request, reference: str, serializer_class, service, rename=None, **fixed) -> Response:
        """Run ``service`` on the record for the caller with the body ``serializer_class``
        validated (``rename``: body field → service keyword) and answer its new state."""
        values = {}
        if serializer_class is not None:
            data = serializer_class(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
        expected = expected_version(request, values, self.governed.noun)
        values.pop("version", None)
        for old, new in (rename or {}).items():
            if old in values:
                values[new] = values.pop(old)
        service(**{self.subject: reference}, actor=request.user, expected_version=expected, **values, **fixed)
        return self.detail_response(self.fresh(reference))

    def created(self, obj) -> Response:
        return self.detail_response(self.fresh(obj.reference), code=status.HTTP_201_CREATED)
