"""The one rule for staff passwords: long enough, and neither common nor repetitive.

Guessability is judged by zxcvbn (Dropbox's estimator, pure Python): it knows the most common
passwords and words, keyboard walks ("qwertyuiop"), sequences ("1234567890"), repeats
("aaaaaaaaaa", "abcabcabc") and dates, and counts the account's own username and name as
known words. A password must need at least 10⁸ guesses (zxcvbn's score 3, "safely
unguessable" against an attacker who has the scrypt hashes): sign-in is rate-limited, but a
stolen database is not.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from zxcvbn import zxcvbn

from outreach.errors import RuleError

MIN_LENGTH = 10
MIN_SCORE = 3
# zxcvbn refuses longer input (its work grows with the length); characters past these only
# add to a password's strength, so judging the beginning is enough.
JUDGED_LENGTH = 72


class WeakPassword(RuleError):
    """A password the rule refuses; names the form's password field."""


def check(password: str, known: Iterable[str] = ()) -> None:
    """Refuse a password shorter than MIN_LENGTH characters, or one easy to guess: common,
    repetitive, a sequence, or made of the `known` words (the username, the person's name).
    """
    weak = len(password) < MIN_LENGTH
    if not weak:
        words = [word for word in known if word]
        weak = zxcvbn(password[:JUDGED_LENGTH], user_inputs=words)["score"] < MIN_SCORE
    if weak:
        raise WeakPassword(
            _(
                "Use at least %(num)d characters, and not a common password or repeated "
                "characters: a few unrelated words make a good one.",
                num=MIN_LENGTH,
            ),
            "password",
        )
