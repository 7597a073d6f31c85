from functools import partial

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination

from core.errors import validation_error


class StandardPagination(PageNumberPagination):
    """Page numbers from 1 (or ``last``); anything else is a validation_error, and a page
    past the last one is not_found (DRF's "Invalid page")."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        """A view that knows the count without counting (``view.known_count(request)``
        returning a number, or None to count) saves the COUNT query."""
        known = getattr(view, "known_count", None)
        count = known(request) if known is not None else None
        if count is not None:
            self.django_paginator_class = partial(KnownCountPaginator, count=count)
        return super().paginate_queryset(queryset, request, view)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "" or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise validation_error(
                f"page must be a whole number from 1 (or last); got {raw!r}.",
                page="A whole number from 1, or last.",
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class KnownCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count  # Paginator.count is a cached_property: this is its value
