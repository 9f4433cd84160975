"""readable category colours: darken any colour below 4.5:1 behind the tag's white text

Revision ID: 0009_readable_category_colours
Revises: 0008_english_content
Create Date: 2026-12-05 16:20:00

A category's colour is the background of its tag's white text on every listing. The picker
now refuses colours below WCAG's 4.5:1; this brings colours saved before (the demo's orange
#ef6c00 was 3.08:1) to the lightest darker shade of the same hue that reaches it. Colours
that already pass are left alone. The math is copied here on purpose (a migration must not
change when the application's code does).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_readable_category_colours'
down_revision = '0008_english_content'
branch_labels = None
depends_on = None

MINIMUM = 4.5
WHITE_LUMINANCE = 1.0


def _luminance(channels):
    def linear(channel):
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast_with_white(channels):
    return (WHITE_LUMINANCE + 0.05) / (_luminance(channels) + 0.05)


def _readable(colour):
    """The colour, or the lightest shade of it (channels scaled alike) with 4.5:1 on white;
    None when it is not a #rrggbb colour (left as it is)."""
    value = (colour or "").strip().lstrip("#")
    try:
        channels = tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return None
    if len(value) != 6 or _contrast_with_white(channels) >= MINIMUM:
        return None
    for step in range(101):
        factor = 1 - step / 100
        shade = tuple(round(channel * factor) for channel in channels)
        if _contrast_with_white(shade) >= MINIMUM:
            return "#" + "".join(f"{channel:02x}" for channel in shade)
    return "#000000"


def upgrade():
    category = sa.table('category', sa.column('id', sa.Integer), sa.column('colour', sa.String))
    connection = op.get_bind()
    for row in connection.execute(sa.select(category.c.id, category.c.colour)).all():
        readable = _readable(row.colour)
        if readable is not None:
            connection.execute(
                category.update().where(category.c.id == row.id).values(colour=readable)
            )


def downgrade():
    # The colours that were too light are not kept: nothing to put back.
    pass
