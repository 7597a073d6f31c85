"""What an article may not hold (seed 001, documentation standards: "redact sensitive data"):
passwords, private keys, API keys and tokens, payment card numbers.

The patterns are data (``SecretPattern``, seeded by migration 0003 and edited in the admin);
card numbers are found by code: 13 to 19 digits, written together or in the usual groups,
starting as a card does (2–6) and passing the Luhn check. A refusal names the first line
that holds one, so the writer knows what to remove.
"""

import re

from core.errors import validation_error

# 13–19 digits together, or grouped 4-4-4-(1–7) or 4-6-5 by one kind of separator
_CARD = re.compile(
    r"(?<![\d-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?![\d-])"
)
CARD = "a payment card number"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def holds_card_number(line: str) -> bool:
    for match in _CARD.finditer(line):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            return True
    return False


def active_patterns() -> list[tuple[re.Pattern, str]]:
    """The active patterns, compiled (one query; ``re`` keeps the compiled ones cached)."""
    from knowledge.models import SecretPattern

    rows = SecretPattern.objects.filter(active=True).values_list("regex", "looks_like")
    compiled = []
    for regex, looks_like in rows:
        try:
            compiled.append((re.compile(regex), looks_like))
        except re.error:
            continue  # refused by the admin's form; a row written otherwise must not stop every write
    return compiled


def first_secret(text: str, patterns: list[tuple[re.Pattern, str]]) -> tuple[int, str] | None:
    """(line number from 1, what it looks like) of the first line holding a secret."""
    for number, line in enumerate((text or "").splitlines(), start=1):
        for pattern, looks_like in patterns:
            if pattern.search(line):
                return number, looks_like
        if holds_card_number(line):
            return number, CARD
    return None


def refuse_secrets(values: dict[str, str | None], patterns=None) -> None:
    """A validation error naming the field and the line of the first secret in ``values``
    (``{"title": …, "body": …}``; None is not checked)."""
    if patterns is None:
        patterns = active_patterns()
    for field, text in values.items():
        if text is None:
            continue
        found = first_secret(text, patterns)
        if found is None:
            continue
        number, looks_like = found
        where = f"Line {number}" if field == "body" else f"The {field}"
        message = (
            f"{where} looks like {looks_like}; remove it (write <redacted> in its place) and save again."
        )
        raise validation_error(message, **{field: message})
