"""Field deltas as the trail keeps them: minimal, never raw dumps (seed 001: "avoid raw
dumps in audit/meta"; issue 15 #6 found one event holding a million characters).

A text longer than LONG_TEXT is kept as its first EXCERPT characters, its length and a
SHA-256 digest: enough to say what changed and to check it against the record, small
enough that the trail stays a trail.
"""

import hashlib

LONG_TEXT = 500
EXCERPT = 200


def shortened(value):
    if isinstance(value, str) and len(value) > LONG_TEXT:
        digest = hashlib.sha256(value.encode()).hexdigest()
        return f"{value[:EXCERPT]}… [{len(value)} characters, sha256 {digest}]"
    return value


def minimal_changes(changes: dict | None) -> dict | None:
    """``{field: [old, new]}`` with every long text shortened."""
    if not changes:
        return changes
    return {
        field: [shortened(v) for v in delta] if isinstance(delta, list | tuple) else shortened(delta)
        for field, delta in changes.items()
    }
