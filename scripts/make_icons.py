"""Draw the site's icons into outreach/static/icons: an SVG, PNGs for phones' home screens and
favicon.ico. A green square with a white calendar page and a check mark, the same shapes in
every file; the PNGs are drawn here with the standard library only (no Pillow needed).

    .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "outreach" / "static" / "icons"

GREEN = (0x1E, 0x5B, 0x2F)
AMBER = (0xF9, 0xA8, 0x25)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per pixel side: 16 samples smooth the edges


def rounded_rect(x0, y0, x1, y1, r):
    """Whether a point (in the 100-unit square) is inside a rounded rectangle."""

    def inside(x, y):
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

    return inside


def polyline(points, width):
    """Whether a point is within width/2 of a line through the points (round joins)."""
    half = width / 2

    def near(x, y, a, b):
        (ax, ay), (bx, by) = a, b
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return math.hypot(x - ax - t * dx, y - ay - t * dy) <= half

    return lambda x, y: any(near(x, y, a, b) for a, b in zip(points, points[1:], strict=False))


def both(first, second):
    return lambda x, y: first(x, y) and second(x, y)


CHECK = [(35, 60), (45, 70), (66, 49)]


def shapes(background_radius: float, scale: float = 1.0):
    """The layers, bottom first, as (colour, inside) in the 100-unit square. `scale` shrinks
    the picture on the background toward the centre (the maskable icon's safe zone)."""

    def scaled(inside):
        return lambda x, y: inside(50 + (x - 50) / scale, 50 + (y - 50) / scale)

    page = rounded_rect(20, 26, 80, 82, 7)
    return [
        (GREEN, rounded_rect(0, 0, 100, 100, background_radius)),
        (WHITE, scaled(page)),
        (AMBER, scaled(both(page, lambda x, y: y <= 40))),
        (GREEN, scaled(rounded_rect(32, 18, 39, 34, 3.5))),
        (GREEN, scaled(rounded_rect(61, 18, 68, 34, 3.5))),
        (GREEN, scaled(polyline(CHECK, 8))),
    ]


def svg() -> str:
    """The same picture as an SVG (rounded background)."""
    check = " ".join(f"{x},{y}" for x, y in CHECK)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<rect width="100" height="100" rx="22" fill="#1e5b2f"/>'
        '<rect x="20" y="26" width="60" height="56" rx="7" fill="#fff"/>'
        '<path d="M20 40V33a7 7 0 0 1 7-7h46a7 7 0 0 1 7 7v7z" fill="#f9a825"/>'
        '<rect x="32" y="18" width="7" height="16" rx="3.5" fill="#1e5b2f"/>'
        '<rect x="61" y="18" width="7" height="16" rx="3.5" fill="#1e5b2f"/>'
        f'<polyline points="{check}" fill="none" stroke="#1e5b2f" stroke-width="8" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        "</svg>\n"
    )


def render(size: int, layers) -> bytes:
    """RGBA pixels, each averaged over SAMPLES x SAMPLES points."""
    rows = bytearray()
    step = 100 / size / SAMPLES
    for py in range(size):
        rows.append(0)  # PNG filter type: none
        for px in range(size):
            totals = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                y = (py * SAMPLES + sy + 0.5) * step
                for sx in range(SAMPLES):
                    x = (px * SAMPLES + sx + 0.5) * step
                    colour = None
                    for fill, inside in layers:
                        if inside(x, y):
                            colour = fill
                    if colour is not None:
                        totals[0] += colour[0]
                        totals[1] += colour[1]
                        totals[2] += colour[2]
                        totals[3] += 255
            covered = totals[3] // 255
            n = SAMPLES * SAMPLES
            if covered:
                rows.extend(round(total / covered) for total in totals[:3])
            else:
                rows.extend((0, 0, 0))
            rows.append(round(totals[3] / n))
    return bytes(rows)


def png(size: int, layers) -> bytes:
    """A PNG file of the layers at size x size pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(size, layers), 9))
        + chunk(b"IEND", b"")
    )


def ico(images: dict[int, bytes]) -> bytes:
    """An .ico holding PNG images (read by every browser since Internet Explorer 9)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = len(head) + 16 * len(images)
    entries, data = b"", b""
    for size, image in images.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
        data += image
    return head + entries + data


def main() -> None:
    """Write every icon file."""
    ICONS.mkdir(parents=True, exist_ok=True)
    rounded = shapes(background_radius=22)
    (ICONS / "icon.svg").write_text(svg(), encoding="utf-8")
    (ICONS / "icon-192.png").write_bytes(png(192, rounded))
    (ICONS / "icon-512.png").write_bytes(png(512, rounded))
    # Home screens cut their own shape out of these: a full square, the picture within the
    # central safe zone (80 % circle).
    square = shapes(background_radius=0, scale=0.8)
    (ICONS / "icon-maskable-512.png").write_bytes(png(512, square))
    (ICONS / "apple-touch-icon.png").write_bytes(png(180, shapes(background_radius=0)))
    (ICONS / "favicon.ico").write_bytes(ico({size: png(size, rounded) for size in (16, 32, 48)}))


if __name__ == "__main__":
    main()
