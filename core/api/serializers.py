"""Input serializers refuse what they would otherwise drop silently.

DRF ignores body fields a serializer does not declare, so a typo ("priorty") or a field
another operation governs ("priority" in a PATCH) would answer 200 and change nothing.
Every input serializer of the API derives from ``StrictInputSerializer`` instead: such a
field is a validation_error naming it (and, for a governed one, the action that sets it).
"""

from collections.abc import Mapping

from rest_framework import serializers

# what a browser form (the browsable API's, in development) adds to any body it posts
TRANSPORT_FIELDS = frozenset({"csrfmiddlewaretoken"})


class StrictFieldsMixin:
    """For a ``Serializer`` whose body may carry only its writable fields.

    ``governed_fields`` maps a field this operation may not change to the refusal that says
    why, e.g. ``{"priority": "Not changed here; use the prioritize/ action."}``.
    """

    governed_fields: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = self.refused_fields(data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def refused_fields(self, data: Mapping) -> dict[str, list[str]]:
        writable = [name for name, field in self.fields.items() if not field.read_only]
        errors = {}
        for key in data:
            if key in writable or key in TRANSPORT_FIELDS:
                continue
            if key in self.governed_fields:
                errors[key] = [self.governed_fields[key]]
            else:
                errors[key] = ["Unknown field; this operation accepts: " + ", ".join(writable) + "."]
        return errors


class StrictInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """The base of every input serializer of the API."""


def governed_by(actions: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """``{"prioritize/": ("priority", …)}`` → the refusal of each field, naming its action."""
    return {
        field: f"Not changed here; use the {action} action."
        for action, fields in actions.items()
        for field in fields
    }
