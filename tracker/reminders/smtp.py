"""The SMTP side of the outbox: one connection per pass, and a send that stops just before the end.

smtplib's `send_message` goes from MAIL FROM to the server's acceptance in one call. The outbox
needs a moment in between: the whole message is with the server but the final "." is not, so the
server cannot have accepted it yet. There the sender records "delivering"; a crash before that
point leaves a message that certainly was not accepted (safe to send again), a crash after it one
that may have been (never sent again by itself).
"""
from __future__ import annotations

import io
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.generator import BytesGenerator
from email.message import EmailMessage

from flask import current_app


class TemporaryFailure(Exception):
    """Worth another try later: 4xx, a refused or dropped connection, a time-out."""


class PermanentFailure(Exception):
    """Not worth retrying: 5xx, a refused recipient."""


class Unconfirmed(Exception):
    """The end of the message went out but no answer came back: it may or may not have been accepted."""


class Abandoned(Exception):
    """The hand-over was refused by the caller (another sender holds the message now); nothing was accepted."""


def _classify(code: int, text: str) -> Exception:
    return (TemporaryFailure if 400 <= code < 500 else PermanentFailure)(f"{code} {text}")


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _wire_bytes(email: EmailMessage, utf8: bool) -> bytes:
    """The message as SMTP carries it: CRLF line ends, leading dots doubled, ending in CRLF."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=email.policy.clone(utf8=utf8)).flatten(email, linesep="\r\n")
    data = re.sub(rb"(?m)^\.", b"..", buffer.getvalue())
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class Sender:
    """One SMTP connection for a pass, opened on first use."""

    def __init__(self):
        self.config = current_app.config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        security = (config.get("SMTP_SECURITY") or "none").lower()
        port = int(config.get("SMTP_PORT") or {"ssl": 465, "starttls": 587}.get(security, 25))
        timeout = float(config.get("SMTP_TIMEOUT", 30))
        if security == "ssl":
            connection = smtplib.SMTP_SSL(config["SMTP_HOST"], port, timeout=timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(config["SMTP_HOST"], port, timeout=timeout)
            if security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        # The final "." goes out as a small write of its own: without NODELAY, Nagle's algorithm holds
        # it until the server acknowledges the body, which delayed ACKs stretch to 40 ms a message.
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if config.get("SMTP_USER"):
            # from_prefixed_env reads "123456" as a number: credentials are always text.
            connection.login(str(config["SMTP_USER"]), str(config.get("SMTP_PASSWORD") or ""))
        return connection

    def send(self, email: EmailMessage, sender: str, recipient: str, hand_over: Callable[[], bool]) -> None:
        """Send one e-mail; `hand_over` runs when only the final "." is left and may still call it off.

        Raises TemporaryFailure or PermanentFailure when the server refused (nothing was accepted),
        Abandoned when hand_over said no, Unconfirmed when the answer to the final "." was lost.
        """
        utf8 = not (sender + recipient).isascii()
        try:
            connection = self._open_transaction(sender, recipient, utf8)
            connection.send(_wire_bytes(email, utf8))
        except (TemporaryFailure, PermanentFailure):
            self.close()
            raise
        except smtplib.SMTPResponseException as exc:
            self.drop()
            raise _classify(exc.smtp_code, _text(exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            self.drop()
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        if not hand_over():
            self.drop()  # the connection ends without the final ".": the server discards the message
            raise Abandoned()
        try:
            connection.send(b".\r\n")
            code, reply = connection.getreply()
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            self.drop()
            raise Unconfirmed(f"{type(exc).__name__}: {exc}") from exc
        if code != 250:
            self.close()
            raise _classify(code, _text(reply))

    def _open_transaction(self, sender: str, recipient: str, utf8: bool) -> smtplib.SMTP:
        """MAIL FROM, RCPT TO and DATA, ready for the message's lines."""
        if self.connection is None:
            self.connection = self._connect()
        connection = self.connection
        connection.ehlo_or_helo_if_needed()
        options = []
        if utf8:
            if not connection.has_extn("smtputf8"):
                raise PermanentFailure("the SMTP server does not accept non-ASCII addresses (SMTPUTF8)")
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        for command, ok in ((lambda: connection.mail(sender, options), (250,)),
                            (lambda: connection.rcpt(recipient), (250, 251)),
                            (lambda: connection.docmd("data"), (354,))):
            code, reply = command()
            if code not in ok:
                raise _classify(code, _text(reply))
        return connection

    def close(self) -> None:
        """Say goodbye and close; the next send opens a new connection."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def drop(self) -> None:
        """Close without QUIT: in the middle of DATA, QUIT would only be another line of the message."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
