"""Text messages that fit one SMS segment, from templates a gateway can have approved.

One source for both ways of sending: each kind of text is a template with named variables
(`TEMPLATES`). In text mode the gateway gets the template filled in, signature first; in
template mode (OUTREACH_SMS_TEMPLATE_MODE) it gets the template's name and the variables, and
fills in the text the operator filed with the provider (README.md lists them).

One segment is 160 GSM-7 characters, or 70 UTF-16 code units as soon as one character is
outside GSM-7 (any Chinese); mainland gateways count 70 characters either way, so texts are
also held to OUTREACH_SMS_MAX_LENGTH (70). The signature (OUTREACH_SMS_SIGNATURE, e.g.
【朝阳社区】) counts too: gateways add it to the text. Free words (an event's title, a venue,
a slot's label, a staff notice) are shortened with an ellipsis until the whole fits; codes,
times and links never are.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, gettext

log = logging.getLogger(__name__)

SINGLE_GSM = 160
SINGLE_UCS2 = 70

# The GSM 03.38 default alphabet, and its extension table (each of those costs two septets).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

# Words that may be cut. The main ones (an event's title, a venue, a staff notice) give way
# first down to FLOOR characters, the longest first; then a slot's label, to nothing (it
# follows the time in `when`, "12月8日9:30 内科", and is no variable of its own); then the main
# ones to nothing, as a last resort.
MAIN_WORDS = ("notice", "title", "venue")
SHORTENABLE = (*MAIN_WORDS, "slot")
FLOOR = 4
# Punctuation a free word must not end with: the template puts its own after it.
_TRAILING = " \t,.;:!?，。；：！？、…"
# Two marks in a row, left where a word was cut to nothing: the first one stays; and no
# space before a mark or two in a row.
_DOUBLED = re.compile(r"([，。：；、,:;])\s*[，。：；、,:;]")
_SPACES = re.compile(r" +(?=[，。：；、,:; ])")


def N_(text: str) -> str:  # noqa: N802  (the name message extraction looks for)
    """Mark a template for translation; it is translated when a text is made."""
    return text


def is_gsm(text: str) -> bool:
    """Whether the text can go in the GSM-7 alphabet."""
    return all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in text)


def length(text: str) -> int:
    """The text's length as a gateway counts it: GSM-7 septets, else UTF-16 code units."""
    if is_gsm(text):
        return sum(2 if char in _GSM_EXTENDED else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def limit(text: str) -> int:
    """How long one segment may be for this text: 160 in GSM-7, 70 in UCS-2."""
    return SINGLE_GSM if is_gsm(text) else SINGLE_UCS2


def most() -> int:
    """The most characters a text may have (OUTREACH_SMS_MAX_LENGTH, 70): mainland carriers
    count 70 characters to a message whatever the alphabet."""
    return int(current_app.config.get("SMS_MAX_LENGTH") or SINGLE_UCS2)


def fits(text: str) -> bool:
    """Whether the text goes in one segment, and in the configured length."""
    return length(text) <= min(limit(text), most())


# name → the English template (msgid); the variables are %(name)s. Adding one means a row in
# README.md's table (tests/test_messages_texts.py compares them).
TEMPLATES: dict[str, str] = {
    "confirmed": N_("Booked %(title)s %(when)s code %(code)s %(link)s"),
    "waitlisted": N_("Waitlist #%(position)s %(title)s %(when)s %(link)s"),
    "promoted": N_("Now booked %(title)s %(when)s code %(code)s %(link)s"),
    "cancelled": N_("Booking cancelled %(title)s %(when)s %(link)s"),
    "session_cancelled": N_("Called off %(title)s %(when)s %(link)s"),
    "session_rescheduled": N_("Moved %(title)s to %(when)s %(venue)s %(link)s"),
    "session_restored": N_("Back on %(title)s %(when)s code %(code)s %(link)s"),
    "reminder": N_("Reminder %(title)s %(when)s code %(code)s %(link)s"),
    "reminder_waitlisted": N_("Still waitlist #%(position)s %(title)s %(when)s %(link)s"),
    "notice": N_("%(title)s: %(notice)s %(link)s"),
    # A notice to the registrants of a session that is off must not read as if it were on.
    "notice_cancelled": N_("Session called off. %(title)s: %(notice)s %(link)s"),
    "verification_code": N_("Your code is %(code)s, valid %(minutes)s minutes. Tell no one."),
    # A follower's digest (outreach/follows): each session with its link when that fits;
    # else the titles and the follower's page, which lists them and stops the messages.
    "follow_digest": N_("New: %(sessions)s Stop: %(stop)s"),
    "follow_digest_brief": N_("%(count)s new: %(title)s. See or stop: %(stop)s"),
}

# The variables' meaning, for the README table and the operator.
VARIABLES: dict[str, str] = {
    "title": "event title, shortened with … to fit",
    "when": "local date and start time, and the slot's label when booked (cut with … to "
    "fit), e.g. 12月8日 9:30 内科",
    "code": "registration code (or the 6-digit verification code)",
    "link": "short link to the registration: SMS_LINK_BASE (else BASE_URL)/s/<10 characters>",
    "position": "place on the waitlist",
    "venue": "venue name, shortened with … to fit",
    "notice": "staff's message, shortened with … to fit",
    "minutes": "minutes the code is valid",
    "sessions": "new sessions, each title (shortened with … to fit), local date and start "
    "time, and short link SMS_LINK_BASE (else BASE_URL)/e/<session id>",
    "stop": "the follower's page to see what is new or stop: SMS_LINK_BASE (else "
    "BASE_URL)/u/<10 characters>",
    "count": "how many sessions are new",
}


@dataclass(frozen=True)
class Text:
    """A text message: the template's name and variables, and the text they make."""

    template: str
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""


def signature() -> str:
    """The sign-off gateways put before each text (OUTREACH_SMS_SIGNATURE)."""
    return (current_app.config.get("SMS_SIGNATURE") or "").strip()


def _shorten(word: str, ellipsis: str) -> str:
    """One character less, ending with the ellipsis (never after an opening bracket, a space
    or a mark); empty once nothing but it is left."""
    kept = word.removesuffix(ellipsis)[:-1].rstrip(_TRAILING + "（([【《“‘-")
    return kept + ellipsis if kept else ""


def _to_cut(words: dict[str, str]) -> str | None:
    """The word to cut by one character next, if any is left."""
    main = [name for name in MAIN_WORDS if words.get(name)]
    above = [name for name in main if len(words[name].rstrip("….")) > FLOOR]
    if above:
        return max(above, key=lambda name: len(words[name]))
    if words.get("slot"):
        return "slot"
    return max(main, key=lambda name: len(words[name])) if main else None


def make(template: str, **params: object) -> Text:
    """The text of `template` with `params`, in the current language, in one segment: free
    words are cut (with …) one character at a time, as far as needed (see MAIN_WORDS)."""
    words = {name: " ".join(str(value).split()) for name, value in params.items()}
    for name in SHORTENABLE:
        if name in words:
            words[name] = words[name].rstrip(_TRAILING)
    pattern = gettext(TEMPLATES[template])
    sign = signature()

    def filled() -> dict[str, str]:
        slot = words.get("slot")
        values = {name: value for name, value in words.items() if name != "slot"}
        if slot:
            values["when"] = f"{values['when']} {slot}"
        return values

    def fill() -> str:
        return _SPACES.sub("", _DOUBLED.sub(r"\1", sign + pattern % filled()))

    # Cutting only removes characters: a text in GSM-7 stays so, and "..." keeps it there
    # (worth it only when GSM-7 may run past 70).
    ellipsis = "..." if is_gsm(fill()) and most() > SINGLE_UCS2 else "…"
    text = fill()
    while not fits(text):
        name = _to_cut(words)
        if name is None:
            log.warning(
                "the %s text does not fit one segment (%d): shorten OUTREACH_SMS_SIGNATURE "
                "or OUTREACH_SMS_LINK_BASE",
                template,
                length(text),
            )
            break
        words[name] = _shorten(words[name], ellipsis)
        text = fill()
    return Text(template, filled(), text)


def _braced(template: str) -> str:
    return re.sub(r"%\((\w+)\)s", r"{\1}", template)


def table() -> str:
    """The templates as a Markdown table, to file with a provider (README.md holds it)."""
    rows = [
        "| Template | Chinese text | English text | Variables |",
        "|---|---|---|---|",
    ]
    for name, template in TEMPLATES.items():
        with force_locale("zh"):
            chinese = _braced(gettext(template))
        names = re.findall(r"%\((\w+)\)s", template)
        variables = ", ".join(f"`{{{variable}}}`" for variable in names)
        rows.append(f"| `{name}` | {chinese} | {_braced(template)} | {variables} |")
    rows.append("")
    rows += [f"- `{{{name}}}`: {meaning}" for name, meaning in VARIABLES.items()]
    return "\n".join(rows)
