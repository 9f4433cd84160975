"""The QR codes of posters and share images: one error correction level and quiet zone for
both, each address's code made once and kept (outreach/qr.py)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup

from outreach.qr import public_code, public_qr_png

# Level Q survives a quarter of the code scuffed or covered: posters hang in lobbies, and a
# share image is scanned off a phone's screen, often from a compressed copy.
ERROR = "q"
BORDER = 3  # modules of white around the code


def shown_url(url: str) -> str:
    """An address without its scheme, for people who type it in."""
    scheme = urlsplit(url).scheme
    return url.removeprefix(f"{scheme}://")


@dataclass(frozen=True)
class Code:
    """A QR code on a poster, with what it does and its address written out."""

    url: str
    svg: Markup
    caption: str

    @property
    def shown_url(self) -> str:
        """The address without its scheme, for people who type it in."""
        return shown_url(self.url)


def qr_code(url: str, caption: str) -> Code:
    """An inline SVG QR code of `url` that takes the size CSS gives it (a viewBox, no size)."""
    svg = public_code(url, ERROR).svg_inline(
        scale=1, border=BORDER, omitsize=True, dark="#000", light="#fff", title=url
    )
    return Code(url=url, svg=Markup(svg), caption=caption)


def code_png(url: str, scale: int) -> bytes:
    """The same code as a PNG, `scale` pixels a module."""
    return public_qr_png(url, ERROR, scale, BORDER)


def modules(url: str) -> int:
    """How many modules wide the code is, its quiet zone included."""
    width, _height = public_code(url, ERROR).symbol_size(scale=1, border=BORDER)
    return width
