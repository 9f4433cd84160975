"""The share image: an event's title, next sessions and QR code in a picture for chat apps.

1080 × 1440 pixels (3:4), the shape WeChat shows whole in a chat and opens full screen on a
phone. It is laid out by the poster's rules (fitting.py): lines break where the poster's
do, between words and between Chinese characters; the title is set smaller when long and
keeps to two lines, as the summary does; the category's colour is the accent; the QR code
has the poster's error correction and quiet zone (codes.py). Text is drawn in Noto Sans CJK,
the face the poster asks browsers for, from the font files named by FONT_REGULAR and
FONT_BOLD (Debian's fonts-noto-cjk by default).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont

from outreach.colours import darkened_to
from outreach.posters import fitting
from outreach.posters.codes import code_png, modules, shown_url
from outreach.posters.share import Share

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1080, 1440
MARGIN = 72
INK, GREY, PAPER, ALERT = "#1a1a1a", "#4d4d4d", "#ffffff", "#b3261e"
BAND = 20
# Pixels per point: the poster's title of 30 pt is 76 px here, and every size follows.
SCALE = 76 / fitting.TITLE_POINTS
# Type sizes in pixels.
KICKER, SUMMARY, HEADING, NOTE = 34, 40, 34, 36
# The sessions' days and times, and their places: as on the poster, the largest size at
# which every line fits above the code (one session is set large, a campaign smaller).
SESSION_SIZES = ((60, 48), (52, 42), (44, 38))
WHEN = SESSION_SIZES[-1][0]
CAPTION, ADDRESS, FOOTNOTE = 40, 28, 28
CODE_SIZE = 400  # about; a whole number of pixels a module
# Space between one session's lines and the next's.
SESSION_GAP = 14
# Colours the image is stored with: text's anti-aliased edges need a few greys of each hue.
PALETTE = 64


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The simplified Chinese face of a font file (a .ttc holds several), at a size."""
    for index in range(8):
        try:
            font = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        if font.getname()[0].endswith(" SC"):
            return font
    return ImageFont.truetype(path, size)


def available() -> bool:
    """Whether the font files are there (else the page offers no image)."""
    config = current_app.config
    return _found(config["FONT_REGULAR"], config["FONT_BOLD"])


@lru_cache(maxsize=4)
def _found(*paths: str) -> bool:
    """Whether these font files exist: looked at once per worker (installing the fonts
    takes a restart to show), and said once in the log when they do not."""
    found = all(Path(path).is_file() for path in paths)
    if not found:
        log.warning("no share images: FONT_REGULAR or FONT_BOLD is not a font file")
    return found


def _face(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return _font(current_app.config["FONT_BOLD" if bold else "FONT_REGULAR"], size)


def clamped(text: str, font: ImageFont.FreeTypeFont, width: float, most: int) -> list[str]:
    """The lines a text takes `width` pixels wide, broken by the poster's rule; at most `most`,
    the last cut short with an ellipsis when there is more."""
    lines = fitting.set_lines(fitting.break_units(text), width, font.getlength)
    if len(lines) <= most:
        return lines
    last = lines[most - 1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    return [*lines[: most - 1], last.rstrip() + "…"]


@dataclass
class _Pen:
    """Where the next line goes, down the page."""

    draw: ImageDraw.ImageDraw
    y: float
    left: float = MARGIN
    width: float = WIDTH - 2 * MARGIN

    def text(
        self,
        text: str,
        size: int,
        *,
        bold: bool = False,
        fill: str = INK,
        most: int = 2,
        leading: float = 1.3,
    ) -> None:
        font = _face(size, bold)
        for line in clamped(text, font, self.width, most):
            self.draw.text((self.left, self.y), line, font=font, fill=fill)
            self.y += size * leading

    def height(self, text: str, size: int, bold: bool = False, most: int = 2) -> float:
        return len(clamped(text, _face(size, bold), self.width, most)) * size * 1.3


def _kicker(pen: _Pen, share: Share, accent: str, language: str) -> None:
    """The category as a tag in its colour, then the organisation, on one line."""
    event = share.event
    tag = event.category.display_name(language)
    font = _face(KICKER, bold=True)
    padding = 14
    tag_width = font.getlength(tag) + 2 * padding
    pen.draw.rounded_rectangle(
        (pen.left, pen.y, pen.left + tag_width, pen.y + KICKER * 1.45), radius=8, fill=accent
    )
    pen.draw.text((pen.left + padding, pen.y + KICKER * 0.18), tag, font=font, fill=PAPER)
    rest = _Pen(pen.draw, pen.y + KICKER * 0.18, pen.left + tag_width + 20)
    rest.width = WIDTH - MARGIN - rest.left
    rest.text(event.organisation.display_name(language), KICKER, fill=GREY, most=1)
    pen.y += KICKER * 1.45 + 28


def _code(image: Image.Image, share: Share, top: int) -> None:
    """The QR code at the bottom left, what it does and its address beside it."""
    scale = max(1, CODE_SIZE // modules(share.link))
    code = Image.open(io.BytesIO(code_png(share.link, scale))).convert("RGB")
    left = MARGIN - 3 * scale  # the quiet zone lines up with the margin
    image.paste(code, (left, top))
    pen = _Pen(ImageDraw.Draw(image), top + 3 * scale, left + code.width + 16)
    pen.width = WIDTH - MARGIN - pen.left
    pen.text(_("Scan to see every session and register"), CAPTION, bold=True, most=3)
    pen.y += 8
    pen.text(_("In WeChat, press and hold the picture to read the code"), NOTE, most=3)
    pen.y += 12
    pen.text(shown_url(share.link), ADDRESS, fill=GREY, most=3)


def _sessions(pen: _Pen, share: Share, bottom: float, accent: str) -> None:
    """What is on: each line's days and time, then its place, at the largest size at which
    they all fit above the code; at the smallest, lines that would run into the code are
    left out and counted with the rest."""
    pen.text(_("When and where"), HEADING, bold=True, fill=accent, most=1)
    pen.draw.line((pen.left, pen.y, WIDTH - MARGIN, pen.y), fill=accent, width=3)
    pen.y += 20
    room = bottom - pen.y - (NOTE * 1.3 if share.more else 0)
    for when_size, place_size in SESSION_SIZES:
        heights = [
            pen.height(line.when, when_size, bold=True)
            + pen.height(line.place, place_size)
            + SESSION_GAP
            for line in share.lines
        ]
        if sum(heights) <= room:
            break
    more = share.more
    for number, line in enumerate(share.lines):
        last = number == len(share.lines) - 1 and not share.more
        if pen.y + heights[number] + (0 if last else NOTE * 1.3) > bottom:
            more += sum(left.count for left in share.lines[number:])
            break
        pen.text(line.when, when_size, bold=True, fill=ALERT if line.note else INK)
        pen.text(line.place, place_size, fill=GREY)
        pen.y += SESSION_GAP
    if more:
        pen.text(share.more_text_for(more), NOTE, fill=GREY, most=1)


def draw(share: Share, language: str) -> bytes:
    """The share image as PNG bytes."""
    accent = darkened_to(share.event.category.colour)
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw_ = ImageDraw.Draw(image)
    draw_.rectangle((0, 0, WIDTH, BAND), fill=accent)
    pen = _Pen(draw_, BAND + 52)
    _kicker(pen, share, accent, language)
    title_size = round(fitting.title_points(share.title) * SCALE)
    pen.text(share.title, title_size, bold=True, most=fitting.TITLE_LINES, leading=1.2)
    pen.y += 16
    summary = share.event.text("summary", language)
    if summary:
        pen.text(summary, SUMMARY, fill=GREY, most=fitting.SUMMARY_LINES, leading=1.35)
    pen.y += 28
    if share.status:
        pen.text(share.status, WHEN, bold=True, fill=ALERT, most=2)
        pen.y += 12
    footnote_top = HEIGHT - MARGIN - FOOTNOTE
    code_top = footnote_top - 24 - CODE_SIZE - 24
    _sessions(pen, share, code_top - 24, accent)
    _code(image, share, code_top)
    footnote = _Pen(draw_, footnote_top)
    footnote.text(_("Times are Beijing time."), FOOTNOTE, fill=GREY, most=1)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    """A few colours suffice (flat fills, text, a black and white code): a palette PNG is a
    fraction of the size, so it loads fast on a phone's data."""
    # The fast octree and zlib's usual level: a tenth of the time of median cut and
    # `optimize`, for a file a sixth larger.
    buffer = io.BytesIO()
    quantized = image.quantize(PALETTE, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    quantized.save(buffer, format="PNG")
    return buffer.getvalue()
