"""Pages of the desk's lists that never count more rows than anyone reads.

Counting every visible incident costs a scan that grows with the table (about 45 ms at
100,000 incidents, ten times that at 1,000,000), on every render of every queue. So a
count is exact up to COUNT_CAP and "1,000+" beyond it, the exact number one click away
(``?count=exact``); a page fetches one row more than it shows to know whether another
follows.
"""

from dataclasses import dataclass
from math import ceil

from django.core.exceptions import EmptyResultSet
from django.db import connections

COUNT_CAP = 1000


@dataclass(frozen=True)
class RowCount:
    """How many rows a list has: ``value`` exactly, or more than ``value`` (not exact)."""

    value: int
    exact: bool = True

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"{self.value:,}+"


def count_up_to(queryset, cap: int | None = None) -> RowCount:
    """Count ``queryset`` while it has at most ``cap`` (COUNT_CAP) rows: the database stops
    reading after ``cap + 1`` (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``)."""
    return counts_up_to({"rows": queryset}, cap)["rows"]


def counts_up_to(querysets: dict, cap: int | None = None) -> dict[str, RowCount]:
    """``count_up_to`` of several querysets (of one database) in one statement,
    ``SELECT (SELECT COUNT(*) FROM (… LIMIT cap + 1)), …``: one round trip for the queue tabs."""
    cap = COUNT_CAP if cap is None else cap
    counted, parts, params = {}, [], []
    for key, queryset in querysets.items():
        capped = queryset.order_by().values("pk")[: cap + 1]
        try:
            sql, sql_params = capped.query.get_compiler(using=capped.db).as_sql()
        except EmptyResultSet:  # e.g. the team queue of someone in no team
            counted[key] = 0
            continue
        parts.append((key, f"(SELECT COUNT(*) FROM ({sql}) counted)"))
        params.extend(sql_params)
    if parts:
        using = next(iter(querysets.values())).db
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(part for _, part in parts), params)
            counted.update(zip((key for key, _ in parts), cursor.fetchone(), strict=True))
    return {
        key: RowCount(counted[key]) if counted[key] <= cap else RowCount(cap, exact=False)
        for key in querysets
    }


def count_exactly(queryset) -> RowCount:
    return RowCount(queryset.order_by().count())


def page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class ListPage:
    """Page ``number`` of ``queryset`` (already ordered), ``per_page`` rows a page.

    With an exact count, a number past the end shows the last page (as Django's
    ``Paginator.get_page`` does); with a capped one it shows an empty page."""

    def __init__(self, queryset, *, number: int, per_page: int, count: RowCount):
        self.count = count
        self.num_pages = max(1, ceil(count.value / per_page)) if count.exact else None
        self.number = min(number, self.num_pages) if self.num_pages else number
        offset = (self.number - 1) * per_page
        window = slice(offset, offset + per_page + 1)
        if offset and not queryset.query.distinct:
            # past the first page, pick the page's ids first: the database then joins and
            # reads the rows of one page, not those of every page before it as well
            rows = list(queryset.filter(pk__in=queryset.values("pk")[window]))
        else:
            rows = list(queryset[window])
        self.object_list = rows[:per_page]
        self.has_next = len(rows) > per_page
        self.has_previous = self.number > 1
        self.has_other_pages = self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __len__(self) -> int:
        return len(self.object_list)
