"""What the problem page shows of its trail to a viewer who may not see every incident it
links: the references of the restricted ones are left out of the timeline's changes."""

import re

RESTRICTED = "a restricted incident"


def without_references(rows: list[dict], hidden: list[str]) -> list[dict]:
    """Timeline ``rows`` (operations.display.timeline_rows) with every reference of
    ``hidden`` in their changes replaced by RESTRICTED."""
    if not hidden:
        return rows
    pattern = re.compile("|".join(re.escape(ref) for ref in hidden))
    for row in rows:
        row["change_rows"] = [
            (field, pattern.sub(RESTRICTED, old), pattern.sub(RESTRICTED, new))
            for field, old, new in row.get("change_rows", [])
        ]
    return rows
