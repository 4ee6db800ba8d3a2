"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, which can be told to fail."""
from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def bound_socket(port: int = 0) -> socket.socket:
    """A TCP socket bound on 127.0.0.1 (port 0: any free port), not yet listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class Recorder:
    """Keeps every accepted message; `reply` makes DATA answer something else (e.g. a 4xx or 5xx)."""

    def __init__(self):
        self.messages = []
        self.reply: str | None = None
        self.delay = 0.0  # seconds to think before accepting, as a busy server does

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": parsed,
                              "subject": str(parsed["Subject"]), "message_id": str(parsed["Message-ID"]),
                              "text": parsed.get_body(("plain",)).get_content(),
                              "html": parsed.get_body(("html",)).get_content()})
        return "250 OK"


class SocketController(Controller):
    """aiosmtpd 1.4 binds host:port itself, which leaves a gap between choosing a free port and binding
    it; this controller serves a socket the test bound already."""

    def __init__(self, handler, sock: socket.socket, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)
        self._sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class MailServer:
    """An SMTP server on a port bound once when made; tests can take it down and bring it back there."""

    def __init__(self):
        self._sock: socket.socket | None = bound_socket()
        self.port = self._sock.getsockname()[1]
        self.recorder = Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        # A restart binds the same port again, as a real server does after a restart.
        sock, self._sock = self._sock or bound_socket(self.port), None
        self.controller = SocketController(self.recorder, sock)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.recorder.messages
