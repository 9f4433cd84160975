"""E-mail over SMTP with the standard library: a plain-text and an HTML body, and the
session as an .ics attachment.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from outreach.messages import transport
from outreach.messages.models import Message
from outreach.messages.transport import DeliveryError, describe


def message_id(message: Message, domain: str) -> str:
    """The same Message-ID on every attempt, so a mail system can drop a duplicate."""
    return f"<outreach.message.{message.id}@{domain}>"


def build_email(
    message: Message,
    *,
    sender: str,
    domain: str,
    now: datetime,
    calendar: bytes | None = None,
) -> EmailMessage:
    """The e-mail of an outbox message; ValueError when its address cannot be written."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.recipient
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message, domain)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    email.set_content(message.body)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if calendar is not None:
        email.add_attachment(
            calendar,
            maintype="text",
            subtype="calendar",
            filename=f"session-{message.registration.session_id}.ics",
            params={"method": "PUBLISH"},
        )
    # Last: making the message multipart moves Content-* headers into its first part.
    email["Content-Language"] = "zh-CN" if message.language == "zh" else message.language
    return email


class Mailer:
    """One SMTP connection, opened on first use and kept for a round of sending."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.server = config.get("MAIL_SERVER")
        self.port = int(config.get("MAIL_PORT") or 25)
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.timeout = config.get("MAIL_TIMEOUT") or 30
        self._smtp: smtplib.SMTP | None = None

    @property
    def enabled(self) -> bool:
        """E-mail is on when a server is configured."""
        return bool(self.server)

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        try:
            smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                transport.MAIL_UNREACHABLE(
                    server=f"{self.server}:{self.port}", detail=describe(error)
                ),
                channel_down=True,
            ) from error
        self._smtp = smtp
        return smtp

    def send(self, email: EmailMessage) -> None:
        """Hand one e-mail to the server; DeliveryError says why it did not go."""
        smtp = self._connect()
        try:
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _text in error.recipients.values()})
            # 5xx is the server's final word on this address; 4xx may pass later.
            raise DeliveryError(
                transport.MAIL_REFUSED(codes=codes),
                permanent=all(code >= 500 for code in codes),
            ) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                transport.MAIL_ANSWERED(code=error.smtp_code, detail=describe(error))
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise DeliveryError(
                transport.MAIL_LOST(detail=describe(error)), channel_down=True
            ) from error

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
