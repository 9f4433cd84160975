"""Recurrence rules: RRULE text both ways, expansion in local time, limits and checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from outreach.events.recurrence import (
    MAX_OCCURRENCES,
    Frequency,
    MonthlyBy,
    RecurrenceError,
    Rule,
    expand,
    from_rrule,
    problems,
    to_rrule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def days_of(rule: Rule, first_day: date, exdates: tuple[date, ...] = ()) -> list[date]:
    """The local dates a rule gives from `first_day`, at 09:00 for two hours."""
    found = expand(to_rrule(rule), first_day, time(9), time(11), False, exdates, SHANGHAI)
    return [start.astimezone(SHANGHAI).date() for start, _end in found]


def monthly_on(day: int, **end) -> Rule:
    return Rule(Frequency.MONTHLY, month_day=day, **end)


def nth_weekday(ordinal: int, weekday: int, **end) -> Rule:
    return Rule(
        Frequency.MONTHLY, monthly_by=MonthlyBy.WEEKDAY, ordinal=ordinal, weekday=weekday, **end
    )


@pytest.mark.parametrize(
    ("rule", "first_day", "expected"),
    [
        pytest.param(
            Rule(Frequency.WEEKLY, interval=2, weekdays=(TUE, THU), count=6),
            date(2026, 1, 5),  # a Monday
            [date(2026, 1, d) for d in (6, 8, 20, 22)] + [date(2026, 2, 3), date(2026, 2, 5)],
            id="weekly-tue-thu-every-other-week",
        ),
        pytest.param(
            Rule(Frequency.DAILY, count=3),
            date(2026, 2, 27),
            [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)],
            id="daily-with-count",
        ),
        pytest.param(
            Rule(Frequency.DAILY, interval=3, until=date(2026, 3, 10)),
            date(2026, 3, 1),
            [date(2026, 3, d) for d in (1, 4, 7, 10)],
            id="every-third-day-until-inclusive",
        ),
        pytest.param(
            monthly_on(31, count=4),
            date(2026, 1, 31),
            [date(2026, 1, 31), date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31)],
            id="31st-skips-short-months",
        ),
        pytest.param(
            monthly_on(29, count=3),
            date(2028, 1, 29),
            [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29)],
            id="29th-in-leap-year-keeps-february",
        ),
        pytest.param(
            monthly_on(29, count=3),
            date(2027, 1, 29),
            [date(2027, 1, 29), date(2027, 3, 29), date(2027, 4, 29)],
            id="29th-in-common-year-skips-february",
        ),
        pytest.param(
            monthly_on(30, count=3),
            date(2028, 1, 30),
            [date(2028, 1, 30), date(2028, 3, 30), date(2028, 4, 30)],
            id="30th-skips-february-even-in-leap-year",
        ),
        pytest.param(
            nth_weekday(2, TUE, count=3),
            date(2026, 1, 1),
            [date(2026, 1, 13), date(2026, 2, 10), date(2026, 3, 10)],
            id="second-tuesday",
        ),
        pytest.param(
            nth_weekday(-1, FRI, until=date(2026, 3, 31)),
            date(2026, 1, 1),
            [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)],
            id="last-friday",
        ),
        pytest.param(
            monthly_on(15, interval=2, count=3),
            date(2026, 1, 1),
            [date(2026, 1, 15), date(2026, 3, 15), date(2026, 5, 15)],
            id="every-other-month-on-the-15th",
        ),
    ],
)
def test_rule_gives_the_expected_local_dates(rule, first_day, expected):
    assert days_of(rule, first_day) == expected


def test_until_day_is_included_even_for_an_evening_start():
    rule = Rule(Frequency.DAILY, until=date(2026, 3, 3))
    found = expand(to_rrule(rule), date(2026, 3, 1), time(18, 30), time(20), False, (), SHANGHAI)
    assert [start.astimezone(SHANGHAI).date() for start, _end in found] == [
        date(2026, 3, 1),
        date(2026, 3, 2),
        date(2026, 3, 3),
    ]
    assert found[-1].starts_at == datetime(2026, 3, 3, 10, 30, tzinfo=UTC)


def test_exception_dates_are_removed_and_count_counts_them_as_rfc_5545_does():
    rule = Rule(Frequency.DAILY, count=5)
    found = days_of(rule, date(2026, 5, 1), exdates=(date(2026, 5, 2), date(2026, 5, 4)))
    assert found == [date(2026, 5, 1), date(2026, 5, 3), date(2026, 5, 5)]


def test_exception_dates_outside_the_series_change_nothing():
    rule = Rule(Frequency.WEEKLY, weekdays=(MON,), count=2)
    assert days_of(rule, date(2026, 5, 4), exdates=(date(2026, 5, 5),)) == [
        date(2026, 5, 4),
        date(2026, 5, 11),
    ]


@pytest.mark.parametrize(
    ("by_count", "by_until"),
    [
        (Rule(Frequency.WEEKLY, weekdays=(WED,), count=4), date(2026, 6, 24)),
        (nth_weekday(1, MON, count=3), date(2026, 8, 3)),
        (monthly_on(31, count=2), date(2026, 8, 31)),
    ],
)
def test_count_and_the_matching_until_give_the_same_dates(by_count, by_until):
    first = date(2026, 6, 1)
    by_date = Rule(**{**by_count.__dict__, "count": None, "until": by_until})
    assert days_of(by_count, first) == days_of(by_date, first)
    assert days_of(by_date, first)[-1] == by_until


def test_times_are_entered_in_shanghai_and_stored_in_utc():
    pairs = expand(
        "FREQ=DAILY;COUNT=2", date(2026, 3, 1), time(9), time(11, 30), False, [], SHANGHAI
    )
    assert pairs[0] == (
        datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 3, 30, tzinfo=UTC),
    )
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in pairs)


def test_early_morning_local_time_falls_on_the_previous_utc_day():
    [(start, end)] = expand(
        "FREQ=DAILY;COUNT=1", date(2026, 3, 1), time(7), time(8), False, [], SHANGHAI
    )
    assert start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)


def test_all_day_occurrences_run_from_local_midnight_to_the_next():
    pairs = expand("FREQ=DAILY;COUNT=2", date(2026, 3, 1), time(9), time(11), True, [], SHANGHAI)
    assert pairs == [
        (datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 1, 16, tzinfo=UTC)),
        (datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 2, 16, tzinfo=UTC)),
    ]


def test_expansion_keeps_the_local_wall_time_across_a_daylight_saving_change():
    new_york = ZoneInfo("America/New_York")  # clocks go forward on 8 March 2026
    pairs = expand("FREQ=WEEKLY;COUNT=2", date(2026, 3, 2), time(9), time(10), False, [], new_york)
    assert [start.astimezone(new_york).hour for start, _end in pairs] == [9, 9]
    assert [start.hour for start, _end in pairs] == [14, 13]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule(Frequency.DAILY, count=10), "FREQ=DAILY;COUNT=10"),
        (
            Rule(Frequency.DAILY, interval=3, until=date(2026, 9, 30)),
            "FREQ=DAILY;INTERVAL=3;UNTIL=20260930T235959",
        ),
        (
            Rule(Frequency.WEEKLY, interval=2, weekdays=(TUE, THU), count=6),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=6",
        ),
        (
            Rule(Frequency.WEEKLY, weekdays=(SAT, SUN), until=date(2027, 1, 1)),
            "FREQ=WEEKLY;BYDAY=SA,SU;UNTIL=20270101T235959",
        ),
        (monthly_on(31, count=12), "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=12"),
        (nth_weekday(2, TUE, count=5), "FREQ=MONTHLY;BYDAY=2TU;COUNT=5"),
        (
            nth_weekday(-1, FRI, interval=3, until=date(2027, 6, 30)),
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;UNTIL=20270630T235959",
        ),
    ],
)
def test_rrule_text_round_trip(rule, text):
    assert to_rrule(rule) == text
    assert from_rrule(text) == rule
    assert from_rrule("RRULE:" + text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "FREQ=YEARLY;COUNT=2",
        "FREQ=WEEKLY;BYMONTH=3;COUNT=2",
        "FREQ=DAILY;COUNT=x",
        "FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=4",
        "FREQ=MONTHLY;BYDAY=1MO,-1FR;COUNT=4",
        "FREQ=MONTHLY;BYDAY=MO;COUNT=4",
        "FREQ=DAILY;BYDAY=MO;COUNT=4",
    ],
)
def test_rules_the_form_cannot_show_are_refused(text):
    with pytest.raises(RecurrenceError):
        from_rrule(text)


def test_expansion_stops_at_the_cap_with_a_clear_error(app):
    with pytest.raises(RecurrenceError) as raised:
        expand(
            "FREQ=DAILY;UNTIL=20271201T235959",
            date(2026, 1, 1),
            time(9),
            time(10),
            False,
            [],
            SHANGHAI,
        )
    assert raised.value.field == "until"
    with app.test_request_context("/?lang=en"):
        assert "more than 500 sessions" in str(raised.value)


def test_a_count_reaching_past_two_years_is_refused():
    with pytest.raises(RecurrenceError) as raised:
        expand("FREQ=MONTHLY;COUNT=30", date(2026, 1, 1), time(9), time(10), False, [], SHANGHAI)
    assert raised.value.field == "count"


def test_exactly_the_cap_is_allowed():
    pairs = expand("FREQ=DAILY;COUNT=500", date(2026, 1, 1), time(9), time(10), False, [], SHANGHAI)
    assert len(pairs) == MAX_OCCURRENCES


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (Rule(Frequency.DAILY, interval=0, count=3), "interval"),
        (Rule(Frequency.DAILY, interval=100, count=3), "interval"),
        (Rule(Frequency.WEEKLY, count=3), "weekdays"),
        (Rule(Frequency.WEEKLY, weekdays=(7,), count=3), "weekdays"),
        (monthly_on(32, count=3), "month_day"),
        (monthly_on(0, count=3), "month_day"),
        (nth_weekday(5, TUE, count=3), "ordinal"),
        (nth_weekday(1, 9, count=3), "weekday"),
        (Rule(Frequency.DAILY), "ends"),
        (Rule(Frequency.DAILY, count=3, until=date(2026, 2, 1)), "ends"),
        (Rule(Frequency.DAILY, count=0), "count"),
        (Rule(Frequency.DAILY, count=501), "count"),
        (Rule(Frequency.DAILY, until=date(2025, 12, 31)), "until"),
        (Rule(Frequency.DAILY, until=date(2028, 1, 2)), "until"),
    ],
)
def test_problems_name_the_field_at_fault(rule, field):
    assert field in problems(rule, date(2026, 1, 1))


@pytest.mark.parametrize(
    "rule",
    [
        Rule(Frequency.DAILY, count=1),
        Rule(Frequency.DAILY, until=date(2026, 1, 1)),  # the first day itself
        Rule(Frequency.WEEKLY, weekdays=(MON,), until=date(2028, 1, 1)),  # exactly two years
        Rule(Frequency.WEEKLY, weekdays=(MON,), count=MAX_OCCURRENCES),
        nth_weekday(-1, SUN, count=12),
    ],
)
def test_usable_rules_have_no_problems(rule):
    assert problems(rule, date(2026, 1, 1)) == {}
