"""What the channels (e-mail, the SMS webhook) report when a message does not go out, and the
words staff read for it."""

from __future__ import annotations

import re

from flask_babel import gettext


class DeliveryError(Exception):
    """A message that did not go out this time.

    `permanent`: trying again cannot help (the mail server refused the address for good);
    `channel_down`: the server or gateway cannot be reached, so the rest of the round skips
    that channel rather than waiting on it message after message. Otherwise it is retried.
    The text is for administrators and names no password.
    """

    def __init__(self, text: str, *, permanent: bool = False, channel_down: bool = False):
        super().__init__(text)
        self.text = text
        self.permanent = permanent
        self.channel_down = channel_down


def describe(error: BaseException) -> str:
    """A short account of an exception: its type and message."""
    detail = str(error).strip()
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def N_(text: str) -> str:  # noqa: N802  (the name message extraction looks for)
    """Mark a string for translation without translating it: it is stored in English."""
    return text


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class Problem:
    """A reason the application itself writes in `Message.last_error`.

    Stored in English (the template with its values), so logs, the database and old rows
    stay readable; `explain` finds the template again and shows it in the reader's
    language, keeping the values (a host, or what a server answered) as they were.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        names = _PLACEHOLDER.findall(template)
        pattern, last = "", 0
        for number, match in enumerate(_PLACEHOLDER.finditer(template)):
            # The last value (often a server's own words) takes the rest, up to any cut.
            value = ".*" if number == len(names) - 1 else ".*?"
            pattern += re.escape(template[last : match.start()]) + f"(?P<{match.group(1)}>{value})"
            last = match.end()
        self._pattern = re.compile(pattern + re.escape(template[last:]), re.DOTALL)
        PROBLEMS.append(self)

    def __call__(self, **values: object) -> str:
        """The English text stored for these values."""
        return self.template % values

    def explain(self, text: str) -> str | None:
        """`text` in the reader's language, if this problem wrote it."""
        match = self._pattern.fullmatch(text)
        return gettext(self.template, **match.groupdict()) if match else None


PROBLEMS: list[Problem] = []

# Nothing was tried.
NO_MAIL = Problem(N_("e-mail is off: OUTREACH_MAIL_SERVER is not set"))
NO_SMS = Problem(N_("no SMS gateway: OUTREACH_SMS_WEBHOOK_URL is not set"))
BAD_WEBHOOK = Problem(N_("the SMS webhook must be an http(s) URL"))
SKIPPED_REMINDER = Problem(N_("not sent: the registration or its session changed first"))
ERASED = Problem(N_("personal data erased"))
TOO_MANY_TEXTS = Problem(
    N_(
        "not sent: this number has had the most text messages allowed per day "
        "(OUTREACH_TEXTS_PER_NUMBER_PER_DAY)"
    )
)
INTERRUPTED = Problem(
    N_("interrupted while sending: it may have gone out, so it is not sent again")
)
# Written when queued, or found when sending: a fault of this application, not of a channel.
UNCOMPOSABLE = Problem(N_("cannot write this message: %(detail)s"))
CRASHED = Problem(
    N_("an error stopped the sending, so it is not sent again (it may have gone out): %(detail)s")
)
# Tried; what the other side said follows the colon, as it said it.
UNWRITABLE = Problem(N_("cannot write this e-mail: %(detail)s"))
MAIL_UNREACHABLE = Problem(N_("cannot use the mail server %(server)s: %(detail)s"))
MAIL_REFUSED = Problem(N_("the mail server refused the address: %(codes)s"))
MAIL_ANSWERED = Problem(N_("the mail server answered %(code)s: %(detail)s"))
MAIL_LOST = Problem(N_("lost the mail server: %(detail)s"))
SMS_ANSWERED = Problem(N_("the SMS gateway %(host)s answered %(status)s"))
SMS_UNREACHABLE = Problem(N_("cannot reach the SMS gateway %(host)s: %(detail)s"))


def explain(text: str | None) -> str:
    """A stored error in the reader's language when the application wrote it; else as is."""
    for problem in PROBLEMS:
        explained = problem.explain(text or "")
        if explained is not None:
            return explained
    return text or ""
