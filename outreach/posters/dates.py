"""How a poster writes a row's days compactly, in the reader's language.

A month is named once and a weekday shared by every day is said once, so that a weekly series
takes one short line: 8月22日、29日，9月5日（周五） / Fri 22, 29 Aug; 5 Sep. Cancelled days
stay, so residents who saw an earlier poster learn of them: each written in full (weekday,
day and month) and struck through whole, 8月22日，<s>8月29日（周五）</s>，9月5日（周五）.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import groupby
from typing import Protocol

from flask_babel import format_date
from markupsafe import Markup

from outreach.i18n import current_language


class Day(Protocol):
    """A day of a poster's schedule (see services.Day)."""

    @property
    def day(self) -> date: ...

    @property
    def cancelled(self) -> bool: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class _Unit:
    """A day as the schedule sets it: never broken across lines, separators attached.

    `before`, `date` and `after` are the day's own text (a shared weekday, the day, the
    month that follows it); `separator` the punctuation before the next day.
    """

    before: str
    date: str
    after: str
    separator: str
    cancelled: bool
    reason: str = ""  # why a cancelled day was called off, written after it


def _run_units(days: Sequence[Day], shared: bool, chinese: bool) -> list[_Unit]:
    """Units of days written together: each month named once, a shared weekday once."""
    months = [list(group) for _m, group in groupby(days, key=lambda d: (d.day.year, d.day.month))]
    units = []
    for number, in_month in enumerate(months):
        last_month = number == len(months) - 1
        for position, day in enumerate(in_month):
            weekday = "" if shared else format_date(day.day, "EEE")
            last = position == len(in_month) - 1
            if chinese:
                date = format_date(day.day, "M月d日" if position == 0 else "d日")
                date += f"（{weekday}）" if weekday else ""
                after = ""
                separator = "" if last and last_month else "，" if last else "、"
            else:
                date = f"{weekday} {day.day.day}" if weekday else str(day.day.day)
                after = " " + format_date(day.day, "MMM") if last else ""
                separator = "" if last and last_month else ";" if last else ","
            units.append(_Unit("", date, after, separator, day.cancelled, day.reason))
    if shared and units:
        weekday = format_date(days[0].day, "EEE")
        if chinese:
            units[-1] = replace(units[-1], after=f"{units[-1].after}（{weekday}）")
        else:
            units[0] = replace(units[0], before=f"{weekday} ")
    return units


def _units(days: Sequence[Day]) -> list[_Unit]:
    """The days' units. A cancelled day stands alone, with its weekday and month, so that
    striking it through strikes the whole date; the days between cancelled ones are written
    together as usual."""
    chinese = current_language() == "zh"
    shared = len({d.day.weekday() for d in days}) == 1
    runs: list[list[Day]] = []
    for cancelled, group in groupby(days, key=lambda d: d.cancelled):
        together = list(group)
        runs.extend([[d] for d in together] if cancelled else [together])
    units = []
    for number, run in enumerate(runs):
        written = _run_units(run, shared, chinese)
        if number < len(runs) - 1:
            written[-1] = replace(written[-1], separator="，" if chinese else ";")
        units.extend(written)
    return units


def _reason_text(unit: _Unit) -> str:
    """Why the day was called off, in brackets after it (nothing when not given)."""
    if not unit.reason:
        return ""
    return f"（{unit.reason}）" if current_language() == "zh" else f" ({unit.reason})"


def days_units(days: Sequence[Day]) -> tuple[str, ...]:
    """The days as the pieces a line may break between (for estimating how many lines)."""
    space = "" if current_language() == "zh" else " "
    return tuple(
        f"{u.before}{u.date}{u.after}{_reason_text(u)}{u.separator}{space}" for u in _units(days)
    )


def days_text(days: Sequence[Day]) -> Markup:
    """The days of a line of a poster's schedule as compact HTML: each day kept whole on its
    line, cancelled ones struck through."""
    # Chinese has no spaces to break at: <wbr> marks where a line may break.
    between = Markup("<wbr>") if current_language() == "zh" else Markup(" ")
    struck, whole = Markup('<s class="cancelled">{}</s>'), Markup('<span class="day">{}{}</span>')
    because = Markup('<span class="reason">{}</span>')
    pieces = []
    for unit in _units(days):
        text = f"{unit.before}{unit.date}{unit.after}"
        if unit.cancelled:
            text = struck.format(text)
            if unit.reason:
                text += because.format(_reason_text(unit))
        pieces.append(whole.format(text, unit.separator))
    return between.join(pieces)
