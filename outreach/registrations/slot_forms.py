"""Forms of the slot editor."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from outreach.events.forms import ClockField

MAX_SLOT_CAPACITY = 10_000


class AddSlotsForm(FlaskForm):
    """Labels, one per line, each becoming a slot (or one per time window)."""

    labels = TextAreaField(
        _l("Slots, one per line"),
        validators=[DataRequired(_l("Please enter at least one slot."))],
        render_kw={"rows": 4, "placeholder": "中医科\n骨伤与骨关节\n脑卒中\n全科"},
    )
    capacity = IntegerField(
        _l("Places in each slot"),
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(0, MAX_SLOT_CAPACITY, _l("From 0 to %(max)d.", max=MAX_SLOT_CAPACITY)),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    start = ClockField(_l("Windows from (optional)"), render_kw={"type": "time"})
    end = ClockField(_l("Windows until (optional)"), render_kw={"type": "time"})
    window_minutes = IntegerField(
        _l("Minutes per window (optional)"),
        validators=[Optional(), NumberRange(5, 720, _l("From 5 to 720 minutes."))],
        render_kw={"inputmode": "numeric"},
    )

    def label_list(self) -> tuple[str, ...]:
        """The distinct labels typed, in order, without blanks."""
        seen: dict[str, None] = {}
        for line in (self.labels.data or "").splitlines():
            label = " ".join(line.split())[:100]
            if label:
                seen.setdefault(label)
        return tuple(seen)

    def validate_end(self, field) -> None:
        """Windows need both ends, or neither."""
        if (self.start.data is None) != (field.data is None):
            raise ValidationError(_l("Give both ends of the windows, or neither."))


class EditSlotForm(FlaskForm):
    """Rename a slot or change its capacity."""

    label = StringField(
        _l("Slot"), validators=[DataRequired(_l("Please enter a name.")), Length(max=100)]
    )
    capacity = IntegerField(
        _l("Places"),
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(0, MAX_SLOT_CAPACITY, _l("From 0 to %(max)d.", max=MAX_SLOT_CAPACITY)),
        ],
    )
