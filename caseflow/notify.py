"""Sending a message to a staff member: the `Notifier` seam and its one implementation, e-mail.

A notifier is a channel (e-mail today; SMS or WhatsApp when a provider is chosen) that can
say whether it is configured, whether it can reach a given user, and send them a message made
of a subject and a plain text body. `notifiers()` lists the configured ones in the order they
are tried. No SMS or WhatsApp provider is integrated: adding one means writing a class with
these three methods and registering it (`register`), nothing in the digests changes.

E-mail goes through the SMTP server of CASEFLOW_SMTP_HOST/PORT/USER/PASSWORD/STARTTLS/FROM.
Without a host, e-mail is simply not configured: the caller skips and says so.
"""
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from flask import current_app


class NotifyError(Exception):
    """The channel could not deliver the message now: try again later. `server_down` when no
    message could get through (unreachable, refused the connection or the sign-in), rather than
    this one being refused (a bad address)."""

    def __init__(self, message: str, *, server_down: bool = True):
        super().__init__(message)
        self.server_down = server_down


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    language: str  # "hi" or "en": the body's language, for the Content-Language header


class Notifier(Protocol):
    channel: str

    def configured(self) -> bool: ...

    def reaches(self, user) -> bool: ...

    def send(self, user, message: Message) -> None:
        """Hand the message over for delivery to `user`, or raise NotifyError."""


class EmailNotifier:
    channel = "email"

    def configured(self) -> bool:
        config = current_app.config
        return bool(config.get("SMTP_HOST") and config.get("SMTP_FROM"))

    def reaches(self, user) -> bool:
        return bool(user.email)

    def send(self, user, message: Message) -> None:
        config = current_app.config
        mail = EmailMessage()
        mail["From"] = formataddr((config.get("ORGANISATION_NAME", "caseflow"), config["SMTP_FROM"]))
        mail["To"] = formataddr((user.display_name, user.email))
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
        mail["Auto-Submitted"] = "auto-generated"  # no vacation replies to a digest
        mail.set_content(message.text)  # UTF-8, so Devanagari arrives intact
        mail["Content-Language"] = message.language  # after set_content, which clears Content-* headers
        try:
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT_SECONDS"]) as smtp:
                if config.get("SMTP_STARTTLS"):
                    smtp.starttls(context=ssl.create_default_context())
                if config.get("SMTP_USER"):
                    smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
                smtp.send_message(mail)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise NotifyError(type(exc).__name__, server_down=False) from exc
        except (OSError, smtplib.SMTPException) as exc:  # unreachable, timed out, TLS, sign-in refused
            raise NotifyError(type(exc).__name__) from exc


_registry: list[Notifier] = [EmailNotifier()]


def register(notifier: Notifier) -> None:
    """Add a channel (e.g. an SMS provider's), tried after those already registered."""
    if all(n.channel != notifier.channel for n in _registry):
        _registry.append(notifier)


def notifiers() -> list[Notifier]:
    """The configured channels, in the order they are tried."""
    return [n for n in _registry if n.configured()]


def channel_for(user) -> Notifier | None:
    """The first configured channel that reaches `user`, or None."""
    return next((n for n in notifiers() if n.reaches(user)), None)
