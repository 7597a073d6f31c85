from django import template

from problems.choices import ProblemStatus

register = template.Library()


@register.filter
def problem_status(value: str) -> str:
    """A problem status as people read it ("known_error" → "Known error")."""
    try:
        return ProblemStatus(value).label
    except ValueError:
        return value
