"""What changed between two versions of an article (difflib): the title and type, and the
body line by line, as a unified diff for tools and as rows a page can colour."""

import difflib
from dataclasses import dataclass

from core.errors import not_found, validation_error
from knowledge.models import Article
from knowledge.selectors import article_version, reads_working_copy

WORKING = "working"


@dataclass(frozen=True)
class Text:
    """One side of a diff: a published version, or the working copy."""

    label: str  # "v2", "working copy"
    number: int | None
    title: str
    type: str
    body: str


def side(article: Article, token: str, user, field: str) -> Text:
    """The version ``token`` names (a number, or ``working`` for staff: the working copy)."""
    token = (token or "").strip().lower()
    if token == WORKING and reads_working_copy(user):
        return Text("working copy", None, article.title, article.type, article.body)
    if not token.isdigit() or int(token) < 1:
        allowed = "a version number" + (" or working" if reads_working_copy(user) else "")
        raise validation_error(f"{field} must be {allowed}; got {token!r}.", **{field: f"Give {allowed}."})
    version = article_version(article, int(token))
    if version is None:
        raise not_found(f"Version {token} of {article.reference}")
    return Text(f"v{version.number}", version.number, version.title, version.type, version.body)


def diff(old: Text, new: Text) -> dict:
    """``title``/``type``: [old, new] where they differ (else None); ``body``: the unified
    diff, the counts of lines added and removed, and every line as a row
    (``op`` ``" "``, ``"+"`` or ``"-"``, its numbers on each side, its text)."""
    a, b = old.body.splitlines(), new.body.splitlines()
    rows, added, removed = [], 0, 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                {"op": " ", "old": i + 1, "new": j + 1, "text": a[i]}
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        rows += [{"op": "-", "old": i + 1, "new": None, "text": a[i]} for i in range(i1, i2)]
        rows += [{"op": "+", "old": None, "new": j + 1, "text": b[j]} for j in range(j1, j2)]
        removed += i2 - i1
        added += j2 - j1
    unified = "\n".join(difflib.unified_diff(a, b, fromfile=old.label, tofile=new.label, lineterm=""))
    return {
        "from": old.number if old.number is not None else WORKING,
        "to": new.number if new.number is not None else WORKING,
        "title": [old.title, new.title] if old.title != new.title else None,
        "type": [old.type, new.type] if old.type != new.type else None,
        "body": {"unified": unified, "added": added, "removed": removed, "lines": rows},
    }


def article_diff(article: Article, user, from_token: str, to_token: str) -> dict:
    return diff(side(article, from_token, user, "from"), side(article, to_token, user, "to"))
