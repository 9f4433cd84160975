"""Helpers for the messages tests: a real SMTP server (aiosmtpd) and a webhook server, both on
127.0.0.1, and short ways to read the outbox."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from outreach.database import db
from outreach.messages.models import Message, MessageChannel


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    """aiosmtpd handler: keeps every message, refuses chosen addresses, may answer slowly."""

    def __init__(self, inbox: SmtpServer) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.inbox.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.inbox.delay:
            await asyncio.sleep(self.inbox.delay)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.inbox.lock:
            self.inbox.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A local SMTP server: start() and stop() it on a fixed port, read what it received."""

    port: int = field(default_factory=free_port)
    delay: float = 0.0
    refused: set[str] = field(default_factory=set)
    # (username, password): the server then refuses mail from clients that did not log in.
    credentials: tuple[str, str] | None = None
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=login == self.credentials)

    def start(self) -> SmtpServer:
        options = {}
        if self.credentials is not None:
            options = {
                "auth_required": True,
                "auth_require_tls": False,  # a test on 127.0.0.1; production uses STARTTLS
                "authenticator": self._authenticate,
            }
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, app) -> None:
        """Point the application's e-mail settings at this server."""
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=self.port,
            MAIL_SENDER="社区活动 <events@outreach.test>",
            MAIL_TIMEOUT=5,
        )

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for one address."""
        with self.lock:
            return [message for rcpts, message in self.received if address in rcpts]


@dataclass
class WebhookServer:
    """A local HTTP server standing in for an SMS gateway.

    `answers` are the status codes of the next requests in order (then 200); `delay` makes it
    slow. Every request is kept: its path, headers and JSON body.
    """

    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    # Every text received (not template-mode requests), checked by the `gateway` fixture.
    texts: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> WebhookServer:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (the name http.server calls)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if hook.delay:
                    threading.Event().wait(hook.delay)
                payload = json.loads(body)
                hook.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": payload}
                )
                if "text" in payload:
                    hook.texts.append(payload["text"])
                status = hook.answers.pop(0) if hook.answers else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}' if status < 300 else b'{"ok": false}')
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/sms?token=secret-token"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None


SMS_MOST = 70


def assert_one_segment(text: str) -> None:
    """A text message of at most 70 characters (UTF-16 code units), as carriers count one."""
    units = len(text.encode("utf-16-le")) // 2
    assert units <= SMS_MOST, f"text of {units} characters: {text!r}"


def outbox(**filters) -> list[Message]:
    """The outbox rows as the database has them now, oldest first, optionally filtered.
    Every text message read here is checked to fit one segment."""
    db.session.expire_all()
    statement = select(Message).order_by(Message.id)
    for name, value in filters.items():
        statement = statement.where(getattr(Message, name) == value)
    messages = list(db.session.scalars(statement))
    for message in messages:
        if message.channel == MessageChannel.SMS:
            assert_one_segment(message.body)
    return messages


def text_part(message: EmailMessage) -> str:
    """The plain-text body of a received e-mail."""
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    """The HTML body of a received e-mail."""
    return message.get_body(preferencelist=("html",)).get_content()


def calendar_parts(message: EmailMessage) -> list[bytes]:
    """The .ics attachments of a received e-mail, as bytes."""
    return [
        part.get_payload(decode=True)
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
