"""How the figures are shown: columns, labels, number formats, CSV files and charts.

The page and the CSV files share the columns below, so a download always says what the page
says. No column holds a name or a phone number: only places, campaigns and counts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from outreach.formatting import day, name
from outreach.i18n import current_language
from outreach.localtime import local_date
from outreach.stats import charts
from outreach.stats.services import CHART_COMMUNITIES, Campaign, Figures, Line, Overview

TOP_COMMUNITIES = CHART_COMMUNITIES
# Up to this many lines, the community chart draws every one, bars of zero included.
FEW_COMMUNITIES = 6


@dataclass(frozen=True)
class Chart:
    """A drawn chart and its title, shown above it as the figure's caption."""

    title: str
    svg: Markup


@dataclass(frozen=True)
class Measure:
    """A figure column: the Figures attribute, its heading under its group, its CSV heading."""

    attribute: str
    short: Any
    heading: Any
    rate: bool = False


@dataclass(frozen=True)
class Group:
    """Columns shown under one heading of the page's tables."""

    title: Any
    measures: tuple[Measure, ...]


GROUPS = (
    Group(
        _l("Sessions"),
        (
            Measure("sessions", _l("Sessions"), _l("Sessions")),
            Measure("cancelled_sessions", _l("Cancelled"), _l("Cancelled sessions")),
            Measure("capacity", _l("Capacity"), _l("Places (sessions with a limit)")),
            Measure("fill_rate", _l("Fill rate"), _l("Fill rate (%)"), rate=True),
        ),
    ),
    Group(
        _l("Confirmed registrations"),
        (
            Measure("registrations", _l("Registrations"), _l("Confirmed registrations")),
            Measure("people", _l("People"), _l("People confirmed")),
        ),
    ),
    Group(
        _l("Attendance"),
        (
            Measure(
                "ended_registrations",
                _l("Confirmed, ended sessions"),
                _l("Confirmed registrations of ended sessions"),
            ),
            Measure("ended_checked_in", _l("Checked in"), _l("Checked in (registrations)")),
            Measure("check_in_rate", _l("Check-in rate"), _l("Check-in rate (%)"), rate=True),
            Measure("no_show_rate", _l("No-show rate"), _l("No-show rate (%)"), rate=True),
            Measure("checked_in_people", _l("People checked in"), _l("People checked in")),
        ),
    ),
    Group(
        _l("Waitlist"),
        (
            Measure(
                "waitlisted_ever",
                _l("Ever waitlisted"),
                _l("Waitlisted at any time (registrations)"),
            ),
            Measure(
                "waitlisted_ever_people",
                _l("People"),
                _l("Waitlisted at any time (people)"),
            ),
            Measure("promoted", _l("Moved up"), _l("Moved up from the waitlist")),
            Measure("waiting", _l("Still waiting"), _l("Still waiting (registrations)")),
            Measure("waiting_people", _l("People"), _l("Still waiting (people)")),
        ),
    ),
)
MEASURES = tuple(measure for group in GROUPS for measure in group.measures)

TITLES = {
    "events": _l("By campaign"),
    "communities": _l("By community"),
    "townships": _l("By street or township"),
    "categories": _l("By category"),
    "months": _l("By month"),
    "days": _l("By day"),
}
OUTSIDE_COMMUNITY = _l("Venues outside a community")
MONTH_PATTERNS = {"zh": "y年M月", "en": "MMMM y"}
SHORT_MONTH_PATTERNS = {"zh": "M月", "en": "MMM"}
SHORT_DAY_PATTERNS = {"zh": "M月d日", "en": "d MMM"}


def _pattern(patterns: dict[str, str]) -> str:
    return patterns.get(current_language(), patterns["en"])


def month_date(key: str) -> date:
    """The first day of a 'YYYY-MM' month."""
    return date.fromisoformat(key + "-01")


def month_label(key: str) -> str:
    """A month as readers write it: 2025年9月, September 2025."""
    return format_date(month_date(key), _pattern(MONTH_PATTERNS))


def community_label(line: Line) -> str:
    """The community's name; for venues that belong to no community, their township's name
    with words saying so (十八里店乡 · 不属于社区的场地): each township has such a line."""
    community = line.names["community"]
    if community is not None:
        return name(community)
    return f"{name(line.names['township'])} · {OUTSIDE_COMMUNITY}"


def _local_day(value) -> str:
    return local_date(value).isoformat() if value is not None else ""


# The label columns of each table in CSV files: heading, and the text of a line.
LabelColumn = tuple[Any, Callable[[Line], str]]
LABELS: dict[str, tuple[LabelColumn, ...]] = {
    "events": (
        (_l("Campaign"), lambda line: line.names["event"].zh),
        (_l("Organisation"), lambda line: name(line.names["organisation"])),
        (_l("Category"), lambda line: name(line.names["category"])),
        (_l("First day"), lambda line: _local_day(line.first_start)),
        (_l("Last day"), lambda line: _local_day(line.last_start)),
    ),
    "communities": (
        (_l("Community"), community_label),
        (_l("Street or township"), lambda line: name(line.names["township"])),
    ),
    "townships": ((_l("Street or township"), lambda line: name(line.names["township"])),),
    "categories": ((_l("Category"), lambda line: name(line.names["category"])),),
    "months": ((_l("Month"), lambda line: line.key),),
    "days": ((_l("Day"), lambda line: line.key),),
}


def value(figures: Figures, measure: Measure) -> int | float | None:
    """A figure, or None for a rate without a denominator."""
    return getattr(figures, measure.attribute)


def day_label(key: str) -> str:
    """A 'YYYY-MM-DD' day as readers write it, with the weekday."""
    return day(date.fromisoformat(key), with_year=True)


_TENTH = Decimal("0.1")


def percent(rate: float) -> str:
    """A rate as a percentage with one decimal: 83.3%. What Babel's format_percent gives
    with the pattern #,##0.0% in Chinese and English alike (the rate read as the decimal
    its shortest repr writes, rounded half to even), without parsing the pattern and looking
    up the locale's symbols for each of the hundreds of cells of a page."""
    return f"{Decimal(repr(rate)).scaleb(2).quantize(_TENTH, ROUND_HALF_EVEN):,f}%"


def shown(figures: Figures, measure: Measure) -> str:
    """A figure as the page shows it: 1,234 or 83.3%, a dash for a rate that has no meaning."""
    number = value(figures, measure)
    if number is None:
        return "—"
    if measure.rate:
        return percent(number)
    return f"{number:,}"


@dataclass(frozen=True)
class Headings:
    """The figure columns' heading cells: a row of groups, then a row of columns."""

    groups: Markup
    measures: Markup


_GROUP_CELL = Markup('<th scope="colgroup" class="group" colspan="{}">{}</th>')
_MEASURE_CELL = Markup('<th scope="col" class="num" title="{}">{}</th>')


def headings() -> Headings:
    """The heading cells of the figure columns in the reader's language, written once per
    language: every table of every statistics page shares them (180 translated and escaped
    strings a page, written cell by cell)."""
    kept = current_app.extensions.setdefault("outreach.stats.headings", {})
    language = current_language()
    if language not in kept:
        kept[language] = Headings(
            Markup("").join(
                _GROUP_CELL.format(len(group.measures), str(group.title)) for group in GROUPS
            ),
            Markup("").join(
                _MEASURE_CELL.format(str(measure.heading), str(measure.short))
                for measure in MEASURES
            ),
        )
    return kept[language]


def cells(figures: Figures) -> Markup:
    """A line's figure cells, every column in order: one filter call per line of a table
    rather than one per cell (their text is digits, commas, a point, % or a dash)."""
    return Markup(
        "".join(f'<td class="num">{shown(figures, measure)}</td>' for measure in MEASURES)
    )


# ---------------------------------------------------------------------------------------------
# CSV

# Spreadsheets run a cell starting with these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(item: Any) -> Any:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading '."""
    if item is None:
        return ""
    if isinstance(item, str) and item.startswith(FORMULA_STARTS):
        return "'" + item
    return item


def _csv_figure(figures: Figures, measure: Measure) -> Any:
    number = value(figures, measure)
    if number is None:
        return ""
    return round(number * 100, 1) if measure.rate else number


def to_csv(table: str, lines: Sequence[Line], total: Figures) -> bytes:
    """A table as CSV: UTF-8 with a BOM (so Excel reads Chinese), a total row, formulas defused."""
    labels = LABELS[table]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [str(heading) for heading, _text in labels] + [str(m.heading) for m in MEASURES]
    )
    for line in lines:
        cells = [text(line) for _heading, text in labels]
        cells += [_csv_figure(line.figures, measure) for measure in MEASURES]
        writer.writerow([csv_cell(cell) for cell in cells])
    footer = [_("Total")] + [""] * (len(labels) - 1)
    footer += [_csv_figure(total, measure) for measure in MEASURES]
    writer.writerow([csv_cell(cell) for cell in footer])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Charts


def _series(lines: Sequence[Line]) -> list[charts.Series]:
    return [
        charts.Series(_("People confirmed"), [line.figures.people for line in lines]),
        charts.Series(_("People checked in"), [line.figures.checked_in_people for line in lines]),
    ]


def month_chart(lines: Sequence[Line]) -> Chart:
    """People confirmed and checked in per month, with the year under January and the first."""
    labels = [format_date(month_date(line.key), _pattern(SHORT_MONTH_PATTERNS)) for line in lines]
    years = [
        line.key[:4] if index == 0 or line.key.endswith("-01") else ""
        for index, line in enumerate(lines)
    ]
    first, last = (month_label(lines[0].key), month_label(lines[-1].key)) if lines else ("", "")
    title = _("People per month")
    return Chart(
        title,
        charts.column_chart(
            "chart-months",
            title,
            _(
                "People confirmed and people checked in, per month from %(first)s to %(last)s.",
                first=first,
                last=last,
            ),
            labels,
            _series(lines),
            sublabels=years,
        ),
    )


def _anyone(line: Line) -> bool:
    """Whether a line has a bar to draw: someone confirmed or checked in."""
    return bool(line.figures.people or line.figures.checked_in_people)


def community_chart(
    lines: Sequence[Line],
    chart_id: str = "chart-communities",
    *,
    count: int | None = None,
    with_anyone: int | None = None,
) -> Chart:
    """People confirmed and checked in for the communities with the most people.

    With many lines, those without anyone (bars of zero) are left out: they only push the
    others apart. The table beside the chart still lists them. `lines` are the table's, in
    its order; or, with `count` (the table's lines) and `with_anyone` (those with anyone),
    only those the database found among the most people (services.Leaders).
    """
    drawn = list(lines)
    count = len(drawn) if count is None else count
    if with_anyone is None:
        with_anyone = sum(map(_anyone, drawn))
    shown = count
    if count > FEW_COMMUNITIES and with_anyone:
        drawn = [line for line in drawn if _anyone(line)]
        shown = with_anyone
    top = sorted(drawn, key=lambda line: -line.figures.people)[:TOP_COMMUNITIES]
    if shown > TOP_COMMUNITIES:
        description = _(
            "People confirmed and people checked in, for the %(num)d communities with the most "
            "people; the table lists every community.",
            num=TOP_COMMUNITIES,
        )
    elif shown < count:
        description = _(
            "People confirmed and people checked in, per community; communities without "
            "anyone are left out, the table lists every community."
        )
    else:
        description = _("People confirmed and people checked in, per community.")
    title = _("People per community")
    labels = [community_label(line) for line in top]
    return Chart(title, charts.bar_chart(chart_id, title, description, labels, _series(top)))


def day_chart(lines: Sequence[Line]) -> Chart:
    """People confirmed and checked in on each day of a campaign."""
    title = _("People per day")
    return Chart(
        title,
        charts.column_chart(
            "chart-days",
            title,
            _("People confirmed and people checked in, on each day of the campaign."),
            [
                format_date(date.fromisoformat(line.key), _pattern(SHORT_DAY_PATTERNS))
                for line in lines
            ],
            _series(lines),
            sublabels=[format_date(date.fromisoformat(line.key), "EEE") for line in lines],
        ),
    )


def overview_charts(overview: Overview) -> dict[str, Chart]:
    """The overview's charts: per month and per community."""
    if overview.pages is None:
        communities = community_chart(overview.tables["communities"])
    else:
        leaders = overview.pages.leaders
        communities = community_chart(
            leaders.lines, count=leaders.count, with_anyone=leaders.with_anyone
        )
    return {"months": month_chart(overview.tables["months"]), "communities": communities}


def init_app(app: Flask) -> None:
    """The template filters of the statistics pages."""
    app.add_template_filter(cells, "stats_cells")
    app.add_template_global(headings, "stats_headings")
    app.add_template_filter(percent, "stats_percent")
    app.add_template_filter(community_label, "stats_community")
    app.add_template_filter(month_label, "stats_month")
    app.add_template_filter(day_label, "stats_day")


def campaign_charts(campaign: Campaign) -> dict[str, Chart]:
    """A campaign's charts: per community and per day."""
    return {
        "communities": community_chart(campaign.tables["communities"]),
        "days": day_chart(campaign.tables["days"]),
    }
