"""Deadline arithmetic on a clock: 24×7, or business hours of a calendar.

A business calendar has working weekdays, a daily window [day_start, day_end) in its own
time zone, and closed dates (public holidays from the ``holidays`` package plus custom
closures). Windows are built per local date and converted to UTC with zoneinfo, so DST
changes shift them correctly. All inputs and outputs are aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MAX_DAYS = 3 * 366  # no target spans more than this many calendar days


@dataclass(frozen=True)
class BusinessHours:
    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekdays
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closures: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        if not self.working_days:
            raise ValueError("a business calendar needs at least one working day")
        if self.day_end <= self.day_start and self.day_end != time(0, 0):
            raise ValueError("day_end must be after day_start")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_open_on(self, day: date) -> bool:
        if day.isoweekday() not in self.working_days or day in self.closures:
            return False
        return not (
            self.holiday_country
            and day in _holidays(self.holiday_country, self.holiday_subdivision, day.year)
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC interval the desk works on local ``day``, or None if closed."""
        if not self.is_open_on(day):
            return None
        zone = self.zone
        start = datetime.combine(day, self.day_start, zone)
        end_day = day + timedelta(days=1) if self.day_end == time(0, 0) else day
        end = datetime.combine(end_day, self.day_end, zone)
        # normalise through UTC: a wall time inside a DST gap or fold maps to one instant
        start, end = _utc(start), _utc(end)
        # hours lying wholly in a DST gap (e.g. 02:30–03:00 on the spring-forward night) map to
        # an empty or inverted interval: the desk has no time that day, never negative time
        return (start, end) if end > start else None

    def windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        local_day = moment.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(MAX_DAYS + 2):
            w = self.window(local_day + timedelta(days=offset))
            if w is not None and w[1] > moment:
                yield max(w[0], moment), w[1]
        raise ValueError("no business hours within three years; check the calendar")


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str, year: int):
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def add_minutes(start: datetime, minutes: float, clock: BusinessHours | None) -> datetime:
    """The moment ``minutes`` of clock time after ``start`` (a clock of None is 24×7)."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if clock is None:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    for begin, end in clock.windows_from(start):
        span = end - begin
        if remaining <= span:
            return begin + remaining
        remaining -= span
    raise AssertionError("unreachable")


def minutes_between(start: datetime, end: datetime, clock: BusinessHours | None) -> float:
    """Clock minutes from ``start`` to ``end`` (0 if end is not after start)."""
    if end <= start:
        return 0.0
    if clock is None:
        return (end - start).total_seconds() / 60
    total = timedelta()
    for begin, finish in clock.windows_from(start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total.total_seconds() / 60
