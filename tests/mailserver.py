"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, which can be told to fail."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nobody listens on (aiosmtpd 1.4 cannot bind port 0 itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """Keeps every accepted message; `reply` makes DATA answer something else (e.g. a 4xx or 5xx)."""

    def __init__(self):
        self.messages = []
        self.reply: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": parsed,
                              "subject": str(parsed["Subject"]), "message_id": str(parsed["Message-ID"]),
                              "text": parsed.get_body(("plain",)).get_content(),
                              "html": parsed.get_body(("html",)).get_content()})
        return "250 OK"


class MailServer:
    """Start and stop an SMTP server on a fixed port, so tests can take it down and bring it back."""

    def __init__(self):
        self.port = free_port()
        self.recorder = Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.recorder.messages
