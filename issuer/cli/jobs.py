"""``certreg jobs``: the time-driven jobs, run once from the command line (for cron).

``certreg serve`` runs the same jobs by itself (:class:`issuer.process.due.BackgroundDueJobs`);
this command is for a deployment that turned that off, or wants a run at a time of its own.
Both may run at once: the jobs lock what they change, so nothing is done twice. The command
needs no key passphrase: nothing it does is signed here; the running server signs and
publishes the register entries it changed.
"""

from __future__ import annotations

import typer

from issuer.cli.common import _open_store, _settings
from issuer.cli.options import DataDir

__all__ = ["jobs_app"]

jobs_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Run the jobs that the calendar makes due, such as expiring certifications.",
)

SHOWN = 50
"""Certificate numbers listed per job; beyond them, only how many more."""


@jobs_app.command("run-due")
def run_due(data_dir: DataDir = None) -> None:
    """Do now, once, what the calendar has made due, and print what was done.

    Certifications past their last valid day become expired, so the public register, the
    directory and regulators see them as expired; suspensions past their resolve-by date
    are referred to the decision-makers and shown as referred in the overdue-suspensions
    worklist; surveillance left without a result past its grace days, or found
    unsatisfactory, is proposed for suspension in the proposed-suspensions worklist (a
    decision-maker then suspends or dismisses); certified persons whose certificate expires
    within 60 days, or whose recertification window opened, get a notice queued (once a
    cycle). Running it again, or while `certreg serve`
    does the same by itself, does nothing twice. Prints, per job, how many certifications it
    acted on and their certificate numbers. The public registry learns of the changes from
    the running `certreg serve`, at once."""
    from issuer.process import due
    from issuer.process.due_notices import NOTICE_JOBS
    from issuer.runtime import system_clock, system_entropy

    store = _open_store(_settings(data_dir))
    try:
        reports = due.run_due(
            store,
            clock=system_clock,
            entropy=system_entropy,
            jobs=(*due.DUE_JOBS, *NOTICE_JOBS),
        )
    finally:
        store.dispose()
    for report in reports:
        typer.echo(report.summary())
        for certification in report.certifications[:SHOWN]:
            typer.echo(f"  {certification.certificate_number}")
        if len(report.certifications) > SHOWN:
            typer.echo(f"  … and {len(report.certifications) - SHOWN} more")
