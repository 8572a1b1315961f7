"""Sending e-mail over SMTP: the transport the notice sender is given
(:mod:`issuer.process.notice_sender`), built from the settings.

The only module that speaks SMTP. It maps what a mail server answers to the sender's
:class:`~issuer.process.notice_sender.DeliveryFailure`: a 5xx refusal is permanent; a 4xx
answer, a timeout or a dropped connection is temporary. A failure's reason is the SMTP
code and a word, never the server's text (it may quote the address) nor the message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from pydantic import SecretStr

from issuer.process.notice_sender import DeliveryFailure, Mail, Transport
from issuer.runtime import Clock
from issuer.settings import Settings

__all__ = ["SmtpTransport"]


class SmtpTransport:
    """Delivers each :class:`Mail` in a connection of its own (notices are few and far
    between; a connection held open between them would be dropped by the server anyway).
    ``context`` is the TLS context STARTTLS verifies the server with (the system's trust
    store by default)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        starttls: bool,
        username: str | None,
        password: SecretStr | None,
        timeout: float,
        clock: Clock,
        sender_name: str | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout
        self._clock = clock
        self._sender_name = sender_name
        self._context = context

    def message(self, mail: Mail) -> EmailMessage:
        """The message as it goes on the wire: plain text first, HTML as its alternative."""
        message = EmailMessage()
        message["From"] = formataddr((self._sender_name or "", mail.sender))
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(self._clock())
        message["Message-ID"] = mail.message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        # After the parts are made: making them moves every Content- header into the first.
        message["Content-Language"] = mail.language
        return message

    def __call__(self, mail: Mail) -> None:
        message = self.message(mail)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=self._context or ssl.create_default_context())
                if self._username is not None and self._password is not None:
                    smtp.login(self._username, self._password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            code = codes[0] if codes else 550
            raise DeliveryFailure(f"{code} recipient refused", permanent=code >= 500) from None
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            raise DeliveryFailure(f"{code} refused", permanent=code >= 500) from None
        except smtplib.SMTPServerDisconnected:
            raise DeliveryFailure("disconnected", permanent=False) from None
        except TimeoutError:
            raise DeliveryFailure("timeout", permanent=False) from None
        except ssl.SSLError as exc:
            raise DeliveryFailure(f"tls: {type(exc).__name__}", permanent=False) from None
        except smtplib.SMTPException as exc:
            raise DeliveryFailure(f"smtp: {type(exc).__name__}", permanent=False) from None
        except OSError as exc:
            raise DeliveryFailure(f"connection: {type(exc).__name__}", permanent=False) from None

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock) -> Transport | None:
        """The transport the settings describe; ``None`` when no SMTP host is configured."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
            clock=clock,
            sender_name=settings.body_name,
        )
