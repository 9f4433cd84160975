"""Forms of the administrators' pages of events: categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import ColorField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from outreach.forms import NamesForm

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z"
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}\Z"


class CategoryForm(NamesForm):
    """A category: names, the short name used in its web address, and a colour."""

    slug = StringField(
        _l("Web address name"),
        validators=[
            DataRequired(_l("Please enter a web address name.")),
            Length(max=80, message=_l("The web address name can be at most 80 characters long.")),
            Regexp(
                SLUG_PATTERN,
                message=_l(
                    "Use only lowercase letters a–z, digits and single hyphens between them, "
                    "e.g. health-screening."
                ),
            ),
        ],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    colour = ColorField(
        _l("Colour"),
        description=_l(
            "The background of the category's tag, behind white text: choose a dark colour "
            "(at least 4.5:1 contrast with white)."
        ),
        default="#2e7d32",
        validators=[
            DataRequired(_l("Please choose a colour.")),
            Regexp(COLOUR_PATTERN, message=_l("A colour is written #rrggbb, e.g. #2e7d32.")),
        ],
    )
