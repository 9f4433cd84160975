"""What the channels (e-mail, the SMS webhook) report when a message does not go out."""

from __future__ import annotations


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
