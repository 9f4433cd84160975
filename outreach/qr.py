"""QR codes as inline SVG, drawn by segno; any package may draw one."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(content: str, scale: int = 6, title: str | None = None) -> Markup:
    """An SVG element (no XML declaration) that scales with its container: a viewBox and no
    fixed size, so the page's CSS decides how large it is drawn."""
    code = segno.make(content, error="m", micro=False)
    svg = code.svg_inline(
        scale=scale, border=2, dark="#000", light="#fff", title=title, omitsize=True
    )
    return Markup(svg)
