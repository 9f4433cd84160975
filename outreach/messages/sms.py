"""Text messages through an SMS gateway's webhook: a JSON POST of the phone and the text."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from outreach.messages import transport
from outreach.messages.transport import DeliveryError, describe
from outreach.smstext import Text


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: a failure, not a new address to POST to."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SmsGateway:
    """POST {"phone": "+86…", "text": "…"} to OUTREACH_SMS_WEBHOOK_URL; 2xx means sent.

    In template mode (OUTREACH_SMS_TEMPLATE_MODE), {"phone", "template", "params"} instead:
    the gateway fills in the text the provider approved (README.md lists them).
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.url = config.get("SMS_WEBHOOK_URL")
        self.template_mode = bool(config.get("SMS_TEMPLATE_MODE"))
        self.timeout = config.get("SMS_WEBHOOK_TIMEOUT") or 10
        self._opener = urllib.request.build_opener(_NoRedirects)

    @property
    def enabled(self) -> bool:
        """Text messages are on when a webhook is configured."""
        return bool(self.url)

    def _where(self) -> str:
        # The URL may carry the gateway's secret in its query: errors name the host only.
        return urlsplit(self.url).netloc

    def payload(self, phone: str, text: Text) -> dict[str, Any]:
        """What the gateway is sent for one text."""
        if self.template_mode and text.template:
            return {"phone": phone, "template": text.template, "params": dict(text.params)}
        return {"phone": phone, "text": text.text}

    def send(self, phone: str, text: Text, key: str) -> None:
        """Send one text; DeliveryError says why it did not go."""
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise DeliveryError(transport.BAD_WEBHOOK(), channel_down=True)
        request = urllib.request.Request(
            self.url,
            data=json.dumps(self.payload(phone, text), ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                # The same key on every attempt, so a gateway can drop a duplicate.
                "Idempotency-Key": key,
                "User-Agent": "outreach",
            },
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
        except urllib.error.HTTPError as error:
            error.close()
            raise DeliveryError(
                transport.SMS_ANSWERED(host=self._where(), status=error.code)
            ) from error
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(
                transport.SMS_UNREACHABLE(host=self._where(), detail=describe(error)),
                channel_down=True,
            ) from error

    def close(self) -> None:
        """Nothing is kept open between messages."""
