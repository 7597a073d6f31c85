"""Filters shared by every FilterSet (API lists and browser pages alike).

``IsoDateTimeFilter`` replaces django-filter's: its field refuses, as invalid input, the
ISO 8601 values that Python parses but the database cannot take (a UTC offset past
±15:59, which PostgreSQL rejects; a moment that leaves the datetime range once moved to
UTC), and hands the query a UTC datetime.
"""

from datetime import UTC, timedelta

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField as BaseIsoDateTimeField

MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class IsoDateTimeField(BaseIsoDateTimeField):
    default_error_messages = {
        "offset": "Enter a UTC offset between -15:59 and +15:59.",
        "range": "Enter a date/time between years 1 and 9999 in UTC.",
    }

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError(self.error_messages["offset"], code="offset")
        try:
            return result.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(self.error_messages["range"], code="range") from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = IsoDateTimeField
