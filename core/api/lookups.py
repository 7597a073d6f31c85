from core.errors import not_found


class ReferenceLookupMixin:
    """Detail lookups by human reference; an unknown or invisible one is a not_found
    envelope that names it ("Service SVC-000009 was not found.")."""

    lookup_field = "reference"
    lookup_url_kwarg = "id"
    reference_label = "Record"

    def get_object(self):
        reference = self.kwargs[self.lookup_url_kwarg]
        obj = self.filter_queryset(self.get_queryset()).filter(**{self.lookup_field: reference}).first()
        if obj is None:
            raise not_found(f"{self.reference_label} {reference}")
        self.check_object_permissions(self.request, obj)
        return obj
