"""QR codes as inline SVG or PNG, drawn by segno; any package may draw one."""

from __future__ import annotations

import io
from functools import lru_cache

import segno
from markupsafe import Markup

# Public codes kept in each worker: a subscribe box's code (a few per page kind, place and
# language) took most of an event page's time when drawn on every request.
KEPT_PUBLIC_CODES = 1024


def qr_svg(content: str, scale: int = 6, title: str | None = None) -> Markup:
    """An SVG element (no XML declaration) that scales with its container: a viewBox and no
    fixed size, so the page's CSS decides how large it is drawn. Drawn anew each time: use it
    for anything personal or secret (a registration's code, a sign-in secret)."""
    code = segno.make(content, error="m", micro=False)
    svg = code.svg_inline(
        scale=scale, border=2, dark="#000", light="#fff", title=title, omitsize=True
    )
    return Markup(svg)


@lru_cache(maxsize=KEPT_PUBLIC_CODES)
def public_qr_svg(content: str, scale: int = 6, title: str | None = None) -> Markup:
    """`qr_svg` of a public address, drawn once per address, size and title and then kept
    (least recently used codes go first). Never for personal or secret content, which
    would stay in the worker's memory."""
    return qr_svg(content, scale, title)


@lru_cache(maxsize=KEPT_PUBLIC_CODES)
def public_code(content: str, error: str = "m") -> segno.QRCode:
    """The QR code of a public address at an error correction level, made once and kept (for
    drawing it in several forms: a poster's SVG, a share image's pixels)."""
    return segno.make(content, error=error, micro=False)


@lru_cache(maxsize=KEPT_PUBLIC_CODES)
def public_qr_png(content: str, error: str, scale: int, border: int) -> bytes:
    """A PNG of `public_code`, black on white, `scale` pixels a module: drawn once per
    address and size and then kept."""
    buffer = io.BytesIO()
    public_code(content, error).save(
        buffer, kind="png", scale=scale, border=border, dark="#000", light="#fff"
    )
    return buffer.getvalue()
