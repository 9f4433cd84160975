"""How much of an A4 page a poster's schedule takes: an estimate from the widths of its texts.

The schedule is a table whose column widths, type sizes and paddings are set in
static/css/poster.css; the numbers here follow them. A row's height is its tallest
cell: names wrap within their columns, and each time of day lists its days on lines of its
own. The estimate errs on the large side; should it still fall short (a font wider than
expected), the page's script shrinks the type a little rather than let the sheet cut it off.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

MM_PER_POINT = 25.4 / 72
LINE_HEIGHT = 1.3  # the table's line-height

# Widths of the text in the table's columns, in mm: the sheet is 186 mm wide and the first
# column takes 25% of it, the venue 19%, the days 35%, the time 21%, each less 3 mm of padding.
FIRST_COLUMN = 43.5
VENUE_COLUMN = 32.3
DAYS_COLUMN = 62.1
TIME_COLUMN = 36.1

# The sheet is 272 mm tall (A4 less 12 mm margins, less 1 mm for rounding). Besides the
# header, it holds: the accent band and its gap (8 mm), the header's bottom margin (3), the
# schedule's heading (11.1) and column labels (8.9 at most), up to two lines of notes under
# the table (12.5), the QR codes with two lines of caption and two of address (70), and the
# footnote (6.5). Measured in Chromium. When the type is at its largest the codes are 12 mm
# larger, to be scanned from further off.
SHEET_HEIGHT = 272.0
FIXED_HEIGHT = 8.0 + 3.0 + 11.1 + 8.9 + 12.5 + 70.0 + 6.5
LARGER_CODES = 12.0
SHEET_WIDTH = 186.0
# The header: the organisation's line, the title (2 lines at most, smaller when long), the
# summary (2 lines at most), who it is for (a line), and as much of the description (6 lines
# at most) as the room the schedule leaves holds.
KICKER_HEIGHT = 7.1
TITLE_POINTS, LONG_TITLE_POINTS, LONG_TITLE = 30, 24, 24  # LONG_TITLE: characters
TITLE_LINES, SUMMARY_LINES = 2, 2  # at most; the rest is cut off
TITLE_MARGINS = 3.5
SUMMARY_POINTS = 14
AUDIENCE_HEIGHT = 7.7
DESCRIPTION_POINTS, DESCRIPTION_LINES, DESCRIPTION_MARGIN = 12.5, 6, 2.0
# A township's heading row is one line with less padding.
HEADING_PADDING = 1.3


# Widths in ems of Latin letters, digits, and spaces and light punctuation (Noto Sans CJK's,
# on average); Chinese characters are square.
NARROW, NARROW_BOLD, DIGIT, SPACE = 0.56, 0.6, 0.56, 0.28


def _is_wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in "WF"


def _words(text: str) -> Iterator[tuple[str, bool]]:
    """The units a line may break between, each with whether a space comes before it: Latin
    words, and single Chinese characters (a line may break before any of them)."""
    word, spaced, space = "", False, False
    for character in text:
        if character.isspace() or _is_wide(character):
            if word:
                yield word, spaced
                word, spaced = "", False
            if character.isspace():
                space = True
            else:
                yield character, space
                space = False
        else:
            if not word:
                spaced, space = space, False
            word += character
    if word:
        yield word, spaced


def _width(character: str, narrow: float) -> float:
    if _is_wide(character):
        return 1.0
    if character.isdigit():
        return DIGIT
    return SPACE if character.isspace() or character in ":.,;" else narrow


def text_width(text: str, bold: bool = False) -> float:
    """About how wide a text is on one line, in ems."""
    narrow = NARROW_BOLD if bold else NARROW
    return sum(_width(character, narrow) for character in text)


# Chinese line-breaking rules (避头尾): these never begin a line (closing marks) ...
NO_LINE_START = frozenset("、，。．：；！？）」』】〕〉》…～·％")
# ... and these never end one (opening marks).
NO_LINE_END = frozenset("（「『【〔〈《")


def break_units(text: str) -> list[str]:
    """The pieces of a text a line may break between: Latin words (each with the space
    before it) and single Chinese characters, a closing mark kept with what it closes and an
    opening mark with what it opens. The poster's estimate and the share image break lines
    by the same rule."""
    units: list[str] = []
    for word, spaced in _words(text):
        unit = f" {word}" if spaced else word
        if units and (unit[0] in NO_LINE_START or units[-1][-1] in NO_LINE_END):
            units[-1] += unit
        else:
            units.append(unit)
    return units


def set_lines(units: Sequence[str], capacity: float, measure: Callable[[str], float]) -> list[str]:
    """The lines these unbreakable pieces of text are set on, as browsers set them: a piece
    that does not fit goes whole onto the next line (its leading space not drawn), and one
    longer than a line is broken anywhere. `capacity` is in the unit `measure` gives."""
    lines: list[str] = []
    line, used = "", 0.0
    for unit in units:
        width = measure(unit)
        if used and used + width > capacity:
            # The space before it is not drawn, but counted: the estimate errs on the large side.
            lines.append(line)
            line, used, unit = "", 0.0, unit.lstrip()
        if not used and width > capacity:
            for character in unit:
                step = measure(character)
                if used and used + step > capacity:
                    lines.append(line)
                    line, used = "", 0.0
                line, used = line + character, used + step
            continue
        line, used = line + unit, used + width
    lines.append(line)
    return lines


def wrapped_units(units: Sequence[str], column: float, points: float, bold: bool = False) -> int:
    """How many lines these unbreakable pieces of text take in a column `column` mm wide at
    `points`: a piece that does not fit goes whole onto the next line, as browsers set them."""
    capacity = column / (points * MM_PER_POINT)
    return len(set_lines(units, capacity, lambda unit: text_width(unit, bold)))


def wrapped_lines(text: str, column: float, points: float, bold: bool = False) -> int:
    """How many lines a text takes in a column, breaking between words and between
    Chinese characters (a word's space is counted with it)."""
    return wrapped_units(break_units(text), column, points, bold)


@dataclass(frozen=True)
class Density:
    """A type size for the schedule, and the room each table row takes beside its text."""

    name: str
    points: float
    padding: float  # mm, above and below the text, with the rule under the row

    @property
    def line(self) -> float:
        """The height of one line of type, in mm."""
        return self.points * LINE_HEIGHT * MM_PER_POINT

    def lines(self, text: str | Sequence[str], column: float, bold: bool = False) -> int:
        """How many lines a text (or unbreakable pieces of text) wraps onto in a column
        `column` mm wide."""
        if isinstance(text, str):
            return wrapped_lines(text, column, self.points, bold)
        return wrapped_units(text, column, self.points, bold)


# Largest first; the poster takes the largest whose rows fit. Compact is the floor.
DENSITIES = (
    Density("spacious", 17, 4.3),
    Density("roomy", 15, 2.3),
    Density("normal", 13, 2.3),
    Density("compact", 11.5, 1.7),
)
COMPACT = DENSITIES[-1]


@dataclass(frozen=True)
class RowShape:
    """What one row of the schedule says, cell by cell (first column and times are bold)."""

    first: str  # its community (or event)
    venue: str
    times: tuple[tuple[tuple[str, ...], str], ...]  # per time of day: its days, the time
    more: bool  # whether it ends with "and N more sessions"
    address: str = ""  # under the venue's name

    def height(self, density: Density) -> float:
        """Its height in mm at this density: the days' lines or the names, the taller."""
        line, padding = density.line, density.padding
        days = sum(
            max(density.lines(days, DAYS_COLUMN), density.lines(time, TIME_COLUMN, bold=True))
            * line
            + padding
            for days, time in self.times
        )
        if self.more:
            days += line
        first = density.lines(self.first, FIRST_COLUMN, bold=True)
        venue = density.lines(self.venue, VENUE_COLUMN)
        if self.address:
            venue += density.lines(self.address, VENUE_COLUMN)
        names = max(first, venue) * line + padding
        return max(days, names)


def is_long_title(title: str) -> bool:
    """Whether a title is long enough to be set smaller (on posters and share images)."""
    return len(title) > LONG_TITLE


def title_points(title: str) -> float:
    """The title's type size in points: smaller when long, so that it keeps to two lines."""
    return LONG_TITLE_POINTS if is_long_title(title) else TITLE_POINTS


def _text_lines(text: str, points: float, most: int, bold: bool = False) -> int:
    """Lines a paragraph takes across the sheet, at most `most` (the rest is cut off)."""
    return min(most, wrapped_lines(text, SHEET_WIDTH, points, bold))


@dataclass(frozen=True)
class Header:
    """What a poster says above its schedule (outreach/templates/posters/*.html)."""

    title: str
    summary: str = ""
    audience: bool = False
    description: str = ""
    contact: bool = False  # a line under the audience: whom to call

    @property
    def long_title(self) -> bool:
        """Whether the title is set smaller (the template's `long` class)."""
        return is_long_title(self.title)

    def height(self) -> float:
        """Its height in mm, without the description."""
        points = title_points(self.title)
        title = (
            _text_lines(self.title, points, TITLE_LINES, bold=True) * points * 1.2 * MM_PER_POINT
        )
        total = KICKER_HEIGHT + title + TITLE_MARGINS
        if self.summary:
            lines = _text_lines(self.summary, SUMMARY_POINTS, SUMMARY_LINES)
            total += lines * SUMMARY_POINTS * 1.35 * MM_PER_POINT
        if self.audience:
            total += AUDIENCE_HEIGHT
        if self.contact:
            total += AUDIENCE_HEIGHT
        return total

    @property
    def description_lines(self) -> int:
        """How many lines the whole description would take."""
        return sum(
            _text_lines(paragraph, DESCRIPTION_POINTS, DESCRIPTION_LINES)
            for paragraph in self.description.splitlines()
            if paragraph.strip()
        )

    def room(self, density: Density) -> float:
        """The height in mm left for the schedule's rows (and a description) at a density:
        at the largest type the codes are larger too."""
        codes = LARGER_CODES if density is DENSITIES[0] else 0.0
        return SHEET_HEIGHT - FIXED_HEIGHT - codes - self.height()


def height(rows: Sequence[RowShape], headings: int, density: Density) -> float:
    """The height in mm of these rows and township headings at this density."""
    heading = density.line + HEADING_PADDING
    return sum(row.height(density) for row in rows) + headings * heading


def fits(rows: Sequence[RowShape], headings: int, header: Header) -> bool:
    """Whether these rows fit on the page under this header at the smallest type."""
    return height(rows, headings, COMPACT) <= header.room(COMPACT)


def layout(rows: Sequence[RowShape], headings: int, header: Header) -> tuple[Density, int]:
    """The largest type at which the rows fit, and how many lines of the description the
    room left over holds (none rather than a single line)."""
    for density in DENSITIES:
        spare = header.room(density) - height(rows, headings, density)
        if spare >= 0 or density is COMPACT:
            room = int((spare - DESCRIPTION_MARGIN) // (DESCRIPTION_POINTS * 1.35 * MM_PER_POINT))
            lines = min(header.description_lines, DESCRIPTION_LINES, room)
            return density, lines if lines >= 2 else 0
    raise AssertionError("unreachable: compact always answers")
