"""Template filters every app's pages share."""

from django import template

register = template.Library()


@register.filter
def code_label(value) -> str:
    """A stored code as people read it: ``in_review`` → "In review", ``approved`` → "Approved"
    (for rows that carry the code, not the model and its choices' labels)."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
