"""Business-hours arithmetic of sla.clock: worked examples, then properties (hypothesis).

The examples are written in UTC instants with the local wall time in the comment, so a
wrong offset (a DST change ignored, a zone taken as UTC) shows as a wrong hour.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sla.clock import BusinessHours, add_minutes, minutes_between

OFFICE = BusinessHours()  # Mon–Fri 09:00–17:00 UTC, no holidays
DAY = 480  # business minutes in an office day


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


# --- office hours in UTC: nights and weekends -----------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (utc(2026, 11, 23, 10), 240, utc(2026, 11, 23, 14)),  # Monday, within the day
        (utc(2026, 11, 23, 16), 240, utc(2026, 11, 24, 12)),  # across the night
        (utc(2026, 11, 23, 9), DAY, utc(2026, 11, 23, 17)),  # ends exactly at closing time
        (utc(2026, 11, 23, 9), DAY + 1, utc(2026, 11, 24, 9, 1)),
        (utc(2026, 11, 27, 16), 240, utc(2026, 11, 30, 12)),  # Friday 16:00 → Monday 12:00
        (utc(2026, 11, 27, 16), 3 * DAY, utc(2026, 12, 2, 16)),  # three business days → Wednesday
        (utc(2026, 11, 28, 10), 60, utc(2026, 11, 30, 10)),  # Saturday: the clock starts Monday
        (utc(2026, 11, 23, 7, 30), 30, utc(2026, 11, 23, 9, 30)),  # before opening
        (utc(2026, 11, 23, 20), 0, utc(2026, 11, 24, 9)),  # zero minutes → next opening
        (utc(2026, 11, 23, 12), 0, utc(2026, 11, 23, 12)),
        (utc(2026, 11, 23, 12), 1.5, utc(2026, 11, 23, 12, 1, 30)),  # fractional minutes
        (utc(2026, 11, 23, 12), 5 * DAY, utc(2026, 11, 30, 12)),  # a working week
    ],
)
def test_office_hours_examples(start, minutes, due):
    assert add_minutes(start, minutes, OFFICE) == due
    assert minutes_between(start, due, OFFICE) == pytest.approx(minutes)


def test_minutes_between_counts_only_open_time():
    # Friday 16:00 → Monday 12:00: one hour on Friday, three on Monday
    assert minutes_between(utc(2026, 11, 27, 16), utc(2026, 11, 30, 12), OFFICE) == 240
    # a whole weekend, Friday 17:00 → Monday 09:00
    assert minutes_between(utc(2026, 11, 27, 17), utc(2026, 11, 30, 9), OFFICE) == 0
    assert minutes_between(utc(2026, 11, 23, 12), utc(2026, 11, 23, 11), OFFICE) == 0  # end before start
    assert minutes_between(utc(2026, 11, 23, 12), utc(2026, 11, 23, 12), OFFICE) == 0


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        add_minutes(utc(2026, 11, 23, 12), -1, OFFICE)
    with pytest.raises(ValueError, match="must not be negative"):
        add_minutes(utc(2026, 11, 23, 12), -1, None)


# --- public holidays and closures ------------------------------------------------------------

UK_OFFICE = BusinessHours(time_zone="Europe/London", holiday_country="GB")


def test_gb_christmas_boxing_day_and_its_substitute_are_closed():
    assert not UK_OFFICE.is_open_on(date(2026, 12, 25))  # Christmas, a Friday
    assert not UK_OFFICE.is_open_on(date(2026, 12, 26))  # Boxing Day, a Saturday
    assert not UK_OFFICE.is_open_on(date(2026, 12, 28))  # Boxing Day (substitute), Monday
    assert UK_OFFICE.is_open_on(date(2026, 12, 29))
    assert UK_OFFICE.is_open_on(date(2026, 12, 24))
    assert not UK_OFFICE.is_open_on(date(2027, 1, 1))  # New Year's Day
    assert UK_OFFICE.window(date(2026, 12, 28)) is None
    # the same dates are ordinary working days without a holiday country
    assert BusinessHours(time_zone="Europe/London").is_open_on(date(2026, 12, 25))


def test_deadline_skips_christmas_and_the_boxing_day_substitute():
    # Thursday 24 December 16:00 GMT: one hour left that day, then closed Fri 25 (Christmas),
    # the weekend and Mon 28 (Boxing Day substitute); the second hour is Tuesday 29, 09:00–10:00.
    start = utc(2026, 12, 24, 16)
    assert add_minutes(start, 120, UK_OFFICE) == utc(2026, 12, 29, 10)
    assert add_minutes(start, 120, BusinessHours(time_zone="Europe/London")) == utc(2026, 12, 25, 10)
    # Thursday 24 → Thursday 31 December: open on 24, 29, 30 only
    assert minutes_between(utc(2026, 12, 24, 9), utc(2026, 12, 31, 9), UK_OFFICE) == 3 * DAY
    # P4 resolve target (5 business days) from Christmas Eve 09:00: 24, 29, 30, 31 Dec, then
    # 1 January is a holiday, so the fifth day is Monday 4 January 2027, ending 17:00.
    assert add_minutes(utc(2026, 12, 24, 9), 5 * DAY, UK_OFFICE) == utc(2027, 1, 4, 17)


def test_custom_closure_is_skipped():
    closed = BusinessHours(closures=frozenset({date(2026, 11, 25)}))  # Wednesday
    assert not closed.is_open_on(date(2026, 11, 25))
    # Tuesday 16:00 + 2 h: one hour Tuesday, Wednesday closed, one hour Thursday
    assert add_minutes(utc(2026, 11, 24, 16), 120, closed) == utc(2026, 11, 26, 10)
    assert add_minutes(utc(2026, 11, 24, 16), 120, OFFICE) == utc(2026, 11, 25, 10)
    assert minutes_between(utc(2026, 11, 24, 9), utc(2026, 11, 27, 9), closed) == 2 * DAY


def test_a_calendar_without_any_open_day_in_three_years_is_an_error():
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(52 * 4))
    never = BusinessHours(working_days=frozenset({1}), closures=mondays)
    with pytest.raises(ValueError, match="no business hours within three years"):
        add_minutes(utc(2026, 1, 5, 10), 1, never)


# --- time zones and DST -----------------------------------------------------------------


def test_europe_london_spring_forward_end_of_march_2026():
    # BST starts Sunday 29 March 2026: 09:00–17:00 local is 09–17 UTC before, 08–16 UTC after.
    assert UK_OFFICE.window(date(2026, 3, 27)) == (utc(2026, 3, 27, 9), utc(2026, 3, 27, 17))
    assert UK_OFFICE.window(date(2026, 3, 30)) == (utc(2026, 3, 30, 8), utc(2026, 3, 30, 16))
    # Friday 16:00 GMT + 2 h: 1 h on Friday, then Monday 09:00 BST (08:00 UTC) + 1 h
    start = utc(2026, 3, 27, 16)
    due = add_minutes(start, 120, UK_OFFICE)
    assert due == utc(2026, 3, 30, 9) == local("Europe/London", 2026, 3, 30, 10)
    assert minutes_between(start, due, UK_OFFICE) == 120


def test_europe_london_fall_back_end_of_october_2026():
    # BST ends Sunday 25 October 2026
    assert UK_OFFICE.window(date(2026, 10, 23)) == (utc(2026, 10, 23, 8), utc(2026, 10, 23, 16))
    assert UK_OFFICE.window(date(2026, 10, 26)) == (utc(2026, 10, 26, 9), utc(2026, 10, 26, 17))
    start = local("Europe/London", 2026, 10, 23, 16)  # Friday 16:00 BST = 15:00 UTC
    due = add_minutes(start, 120, UK_OFFICE)
    assert due == utc(2026, 10, 26, 10) == local("Europe/London", 2026, 10, 26, 10)
    assert minutes_between(start, due, UK_OFFICE) == 120


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # DST starts Sunday 8 March 2026: Friday 16:00 EST (21:00 UTC) + 2 h → Monday 10:00 EDT
        (local("America/New_York", 2026, 3, 6, 16), utc(2026, 3, 9, 14)),
        # DST ends Sunday 1 November 2026: Friday 16:00 EDT (20:00 UTC) + 2 h → Monday 10:00 EST
        (local("America/New_York", 2026, 10, 30, 16), utc(2026, 11, 2, 15)),
        # 02:00 UTC Tuesday is 22:00 Monday in New York: closed; Tuesday 09:00 EDT + 2 h
        (utc(2026, 3, 10, 2), utc(2026, 3, 10, 15)),
    ],
)
def test_america_new_york_across_dst(start, due):
    new_york = BusinessHours(time_zone="America/New_York")
    assert add_minutes(start, 120, new_york) == due
    assert minutes_between(start, due, new_york) == 120


def test_a_zone_ahead_of_utc_uses_its_own_date():
    tokyo = BusinessHours(time_zone="Asia/Tokyo")
    # 23:30 UTC on Friday is 08:30 on Saturday in Tokyo: closed until Monday 09:00 JST
    assert add_minutes(utc(2026, 11, 27, 23, 30), 60, tokyo) == local("Asia/Tokyo", 2026, 11, 30, 10)
    # 23:30 UTC on Sunday is Monday 08:30 JST: opens 30 minutes later
    assert add_minutes(utc(2026, 11, 29, 23, 30), 60, tokyo) == utc(2026, 11, 30, 1)


def test_round_the_clock_calendar_follows_the_wall_clock_through_dst():
    # A 00:00–00:00 calendar every day: the DST days last 23 h and 25 h of real time.
    always = BusinessHours(
        time_zone="Europe/London", working_days=frozenset(range(1, 8)), day_start=time(0), day_end=time(0)
    )
    spring = always.window(date(2026, 3, 29))
    autumn = always.window(date(2026, 10, 25))
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    for start in (utc(2026, 3, 28, 12), utc(2026, 10, 24, 12)):
        assert add_minutes(start, 48 * 60, always) == start + timedelta(hours=48)
        assert minutes_between(start, start + timedelta(hours=48), always) == 48 * 60


def test_a_night_desk_loses_the_hour_that_does_not_exist():
    # 00:00–06:00 London: on 29 March 2026 clocks jump 01:00 → 02:00, so the desk works 5 h.
    night = BusinessHours(
        time_zone="Europe/London", working_days=frozenset(range(1, 8)), day_start=time(0), day_end=time(6)
    )
    assert night.window(date(2026, 3, 29)) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 5))
    assert night.window(date(2026, 10, 25)) == (utc(2026, 10, 24, 23), utc(2026, 10, 25, 6))
    assert minutes_between(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12), night) == 300
    assert minutes_between(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12), night) == 420


def test_hours_that_fall_entirely_in_a_dst_gap_are_closed_that_day():
    # 02:30–03:00 New York does not exist on 8 March 2026 (02:00 → 03:00). The window must be
    # empty, not inverted: an inverted window would count negative time.
    gap = BusinessHours(
        time_zone="America/New_York",
        working_days=frozenset(range(1, 8)),
        day_start=time(2, 30),
        day_end=time(3, 0),
    )
    assert gap.window(date(2026, 3, 8)) is None
    assert gap.window(date(2026, 3, 9)) == (utc(2026, 3, 9, 6, 30), utc(2026, 3, 9, 7))
    assert minutes_between(utc(2026, 3, 8), utc(2026, 3, 9), gap) == 0
    assert add_minutes(utc(2026, 3, 8, 7), 10, gap) == utc(2026, 3, 9, 6, 40)


# --- 24×7 -------------------------------------------------------------------------------


def test_twenty_four_seven_clock_is_elapsed_time():
    start = utc(2026, 11, 28, 23, 50)  # a Saturday night
    assert add_minutes(start, 15, None) == utc(2026, 11, 29, 0, 5)
    assert add_minutes(start, 4 * 60, None) == utc(2026, 11, 29, 3, 50)
    assert minutes_between(start, utc(2026, 11, 29, 3, 50), None) == 240
    assert minutes_between(utc(2026, 11, 29), start, None) == 0
    # across the London spring-forward instant, the 24×7 clock counts real time
    assert minutes_between(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), None) == 60


def test_calendar_validation():
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessHours(working_days=frozenset())
    with pytest.raises(ValueError, match="day_end must be after day_start"):
        BusinessHours(day_start=time(17), day_end=time(9))
    with pytest.raises(ValueError, match="day_end must be after day_start"):
        BusinessHours(day_start=time(9), day_end=time(9))
    # 00:00 as the end means midnight at the end of the day
    assert BusinessHours(day_start=time(18), day_end=time(0)).window(date(2026, 11, 23)) == (
        utc(2026, 11, 23, 18),
        utc(2026, 11, 24, 0),
    )


# --- properties -----------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",
]


@st.composite
def calendars(draw) -> BusinessHours:
    # at least two working days of at least two hours, so every target of the properties
    # (up to six office days) fits well within the three years the clock looks ahead
    start_minute = draw(st.integers(0, 22 * 60 - 1))
    start = time(start_minute // 60, start_minute % 60)
    if draw(st.booleans()):
        end = time(0)  # midnight at the end of the day
    else:
        end_minute = draw(st.integers(start_minute + 120, 24 * 60 - 1))
        end = time(end_minute // 60, end_minute % 60)
    return BusinessHours(
        time_zone=draw(st.sampled_from(ZONES)),
        working_days=frozenset(draw(st.sets(st.integers(1, 7), min_size=2))),
        day_start=start,
        day_end=end,
        holiday_country=draw(st.sampled_from(["", "GB", "US"])),
        closures=frozenset(draw(st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))),
    )


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
clocks = st.one_of(st.just(None), calendars(), st.just(OFFICE), st.just(UK_OFFICE))
whole_minutes = st.integers(0, 6 * DAY)
any_minutes = st.one_of(whole_minutes, st.floats(0, 6 * DAY, allow_nan=False, allow_infinity=False))

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


def windows_around(clock: BusinessHours, moment: datetime):
    day = moment.astimezone(clock.zone).date()
    for offset in (-2, -1, 0, 1):
        window = clock.window(day + timedelta(days=offset))
        if window is not None:
            yield window


@PROPERTY_SETTINGS
@given(clock=calendars(), start=moments, minutes=any_minutes)
@example(clock=OFFICE, start=utc(2026, 11, 27, 18), minutes=0)  # Friday evening
@example(clock=OFFICE, start=utc(2026, 11, 23, 9), minutes=DAY)  # lands on closing time
def test_add_minutes_lands_inside_business_hours(clock, start, minutes):
    due = add_minutes(start, minutes, clock)
    assert due >= start
    assert any(begin <= due <= end for begin, end in windows_around(clock, due)), (
        f"{due.isoformat()} is outside every window of {clock}"
    )


@PROPERTY_SETTINGS
@given(clock=clocks, start=moments, a=any_minutes, b=any_minutes)
def test_add_minutes_is_monotonic_in_minutes(clock, start, a, b):
    low, high = sorted((a, b))
    assert add_minutes(start, low, clock) <= add_minutes(start, high, clock)


@PROPERTY_SETTINGS
@given(clock=clocks, start=moments, minutes=any_minutes)
@example(clock=OFFICE, start=utc(2026, 11, 28, 10), minutes=90)  # starts outside hours
@example(clock=UK_OFFICE, start=utc(2026, 12, 24, 16, 30), minutes=DAY)  # across Christmas
def test_minutes_between_inverts_add_minutes(clock, start, minutes):
    due = add_minutes(start, minutes, clock)
    assert abs(minutes_between(start, due, clock) - minutes) < 1e-6


@PROPERTY_SETTINGS
@given(clock=clocks, start=moments, a=whole_minutes, b=whole_minutes)
@example(clock=OFFICE, start=utc(2026, 11, 23, 9), a=DAY, b=1)  # a ends at closing time
@example(clock=OFFICE, start=utc(2026, 11, 23, 9), a=DAY, b=0)
def test_add_minutes_is_additive(clock, start, a, b):
    step = add_minutes(add_minutes(start, a, clock), b, clock)
    whole = add_minutes(start, a + b, clock)
    if b == 0:
        # add(s, a) may stop at a closing time while add(closing, 0) moves on to the next
        # opening: the same point on the business clock, so no open time lies between them.
        assert minutes_between(min(step, whole), max(step, whole), clock) == 0
    else:
        assert step == whole


@PROPERTY_SETTINGS
@given(clock=clocks, start=moments, middle=st.integers(0, 3 * 24 * 60), end=st.integers(0, 3 * 24 * 60))
def test_minutes_between_is_additive_over_a_split(clock, start, middle, end):
    first = start + timedelta(minutes=min(middle, end))
    last = start + timedelta(minutes=max(middle, end))
    whole = minutes_between(start, last, clock)
    assert whole >= 0
    assert abs(whole - minutes_between(start, first, clock) - minutes_between(first, last, clock)) < 1e-6
    assert whole <= (last - start).total_seconds() / 60 + 1e-9  # never more than elapsed time


def test_a_holiday_subdivision_adds_its_regional_holidays():
    """Easter Monday is a bank holiday in England but not in GB as a whole (holidays package)."""
    easter_monday = date(2026, 4, 6)
    assert BusinessHours(time_zone="Europe/London", holiday_country="GB").is_open_on(easter_monday)
    england = BusinessHours(time_zone="Europe/London", holiday_country="GB", holiday_subdivision="ENG")
    assert not england.is_open_on(easter_monday)
    # Thursday 2 April 16:00 BST: 1 h, Good Friday and the weekend closed, Easter Monday closed
    # in England, Tuesday 7 April 09:00 BST (08:00 UTC) + 3 h
    start = datetime(2026, 4, 2, 15, tzinfo=UTC)
    assert add_minutes(start, 240, england) == datetime(2026, 4, 7, 11, tzinfo=UTC)
