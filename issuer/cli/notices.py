"""``certreg notices``: the notices owed to certified persons, sent once from the command
line (for cron, or to send now what waits).

``certreg serve`` sends them by itself when an SMTP host is configured
(:class:`issuer.process.notice_sender.BackgroundNoticeSender`); both may run at once: each
notice is claimed by one sender only.
"""

from __future__ import annotations

import typer

from issuer.cli.common import _open_store, _settings, err
from issuer.cli.options import DataDir

__all__ = ["notices_app"]

notices_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Send the notices owed to certified persons (grants, suspensions, expiry ahead, …).",
)


@notices_app.command("send")
def send(data_dir: DataDir = None) -> None:
    """Send, once, every notice that is due, over the SMTP server of `CERTREG_SMTP_HOST`,
    and print how many were sent, will be tried again, were given up (dead) or have no
    e-mail address (staff post those). Prints no address and nothing of any message.
    Without `CERTREG_SMTP_HOST` it sends nothing and says so."""
    from issuer.mail import SmtpTransport
    from issuer.process.notice_sender import BATCH_SIZE, SendReport, send_due
    from issuer.runtime import system_clock

    settings = _settings(data_dir)
    transport = SmtpTransport.from_settings(settings, clock=system_clock)
    if transport is None:
        err.print("no CERTREG_SMTP_HOST: no notice was sent; they wait in the queue")
        raise typer.Exit(code=1)
    store = _open_store(settings)
    total = SendReport()
    try:
        while True:
            report = send_due(
                store,
                clock=system_clock,
                transport=transport,
                sender=settings.smtp_from,
                body_name=settings.body_name,
            )
            total.sent += report.sent
            total.retrying += report.retrying
            total.dead += report.dead
            total.no_address += report.no_address
            if len(report.outcomes) < BATCH_SIZE:
                break
    finally:
        store.dispose()
    typer.echo(total.summary())
