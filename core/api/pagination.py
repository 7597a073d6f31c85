from rest_framework.pagination import PageNumberPagination

from core.errors import validation_error


class StandardPagination(PageNumberPagination):
    """Page numbers from 1 (or ``last``); anything else is a validation_error, and a page
    past the last one is not_found (DRF's "Invalid page")."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

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
