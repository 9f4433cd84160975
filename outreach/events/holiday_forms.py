"""Forms of the administrators' official calendar page: one day, or a list of days."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, StringField, TextAreaField

from outreach.events.forms import DayField, ValueRequired
from outreach.events.models import DAY_NAME_LENGTH, DayKind
from outreach.forms import BaseForm

# An uploaded list is a small text file: a year has about forty official days.
MAX_LIST_BYTES = 64 * 1024


class DayForm(BaseForm):
    """A day made a public holiday or a make-up workday."""

    day = DayField(
        _l("Date"),
        validators=[ValueRequired(_l("Please choose the date."))],
        render_kw={"type": "date"},
    )
    kind = RadioField(_l("Kind"), choices=DayKind.choices(), default=DayKind.HOLIDAY.value)
    name = StringField(
        _l("Holiday"),
        render_kw={"maxlength": DAY_NAME_LENGTH, "placeholder": "国庆节"},
    )


class ListForm(BaseForm):
    """The State Council's arrangement as a list of dates, pasted or in a text file."""

    text = TextAreaField(
        _l("Dates, one per line"),
        render_kw={"rows": 8, "placeholder": "2027-01-01 holiday 元旦\n2027-02-07 workday 春节"},
    )
    file = FileField(
        _l("Or a text file with the same lines"), render_kw={"accept": ".txt,text/plain"}
    )

    def lines(self) -> str:
        """The pasted text, or the uploaded file's (UTF-8, BOM or not)."""
        upload = self.file.data
        if upload and getattr(upload, "filename", ""):
            return upload.read(MAX_LIST_BYTES + 1).decode("utf-8-sig", errors="replace")
        return self.text.data or ""
