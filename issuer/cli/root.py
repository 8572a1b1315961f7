"""The ``certreg`` command line: the composition root that wires settings into the contexts.

Here the typer app is built and every command is attached to it: ``init``, ``serve``,
``registry rebuild`` is defined here; ``token`` and ``staff`` (:mod:`issuer.cli.access`),
``audit`` (:mod:`issuer.cli.audit`), ``keys`` (:mod:`issuer.cli.keys`), ``issue-bulk``
(:mod:`issuer.cli.bulk`), ``verify`` and ``registry export-bundle``
(:mod:`issuer.cli.verify`), ``jobs`` (:mod:`issuer.cli.jobs`) and ``bench``
(:mod:`issuer.cli.bench`) are defined in their own modules and attached here. Each
command reads the settings (:func:`issuer.cli.common._settings`) and builds the contexts it
runs in.

Only what the commands' signatures need is imported here; each command imports the rest of
certreg when it runs. ``certreg --help`` then starts in a fraction of the time a full import
takes, and so does each signing or writing process of ``issue-bulk`` (a spawned process
imports the ``certreg`` script, which imports this module).
"""

from __future__ import annotations

import enum
import sys
from typing import TYPE_CHECKING, Annotated, Final

import typer

from issuer.cli.access import staff_app, token_app
from issuer.cli.audit import audit_app
from issuer.cli.bench import bench
from issuer.cli.bulk import issue_bulk
from issuer.cli.bundles import export_bundle
from issuer.cli.common import _ensure_key, _open_store, _passphrase, _settings, err
from issuer.cli.jobs import jobs_app
from issuer.cli.keys import keys_app
from issuer.cli.notices import notices_app
from issuer.cli.options import BaseUrl, DataDir
from issuer.cli.rosters import rosters_app
from issuer.cli.verify import verify
from issuer.credentials.signing import Algorithm
from issuer.model import Role

if TYPE_CHECKING:
    from fastapi import FastAPI

    from issuer.settings import Settings
    from registry import RegistryStore

__all__ = ["app", "main"]

HELP = """Run the credential platform of an ISO/IEC 17024 certification body.

certreg keeps the body's certification records, issues certificates and marks as signed
credentials with QR codes, publishes their status in a public registry, and checks the
credentials that holders present.

Start with `certreg init`, then `certreg serve`; or try it at once with
`certreg serve --demo`. Settings come from `CERTREG_*` environment variables: `--data-dir`
and `--base-url` stand for `CERTREG_DATA_DIR` and `CERTREG_BASE_URL`. Outside demo mode set
`CERTREG_KEY_PASSPHRASE` first: the signing keys are encrypted with it."""
"""The help speaks to the body's staff and to whoever checks a credential, so it names what
a command does for them; how the code is arranged is for this module's docstring."""

MARKDOWN: Final = "markdown"
"""Help paragraphs are Markdown: wrapped to the terminal, and a command's first line is read
whole in the list of commands (typer's rich mode keeps the source's line breaks there)."""

app = typer.Typer(no_args_is_help=True, add_completion=False, help=HELP, rich_markup_mode=MARKDOWN)
registry_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=MARKDOWN,
    help="Republish the public registry, or export it for checks without network.",
)
app.add_typer(token_app, name="token")
app.add_typer(staff_app, name="staff")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(registry_app, name="registry")
app.add_typer(jobs_app, name="jobs")
app.add_typer(rosters_app, name="rosters")
app.add_typer(notices_app, name="notices")


@app.command()
def init(
    data_dir: DataDir = None,
    base_url: BaseUrl = None,
    alg: Annotated[
        Algorithm | None,
        typer.Option("--alg", help="the first signing key's algorithm (or CERTREG_SIGNING_ALG)"),
    ] = None,
) -> None:
    """Set up the records store, the first signing key and an administrator token.

    Creates the back office's store in the data directory (or brings an existing one up to
    date) and a signing key if there is none, then prints an administrator token on standard
    output. The token is shown this once and stored only as a digest: keep it safe. Run
    again on a directory that has staff, it prints no token; use `certreg token create`."""
    from issuer.process import staff as staff_records
    from issuer.runtime import system_clock, system_entropy

    settings = _settings(data_dir, base_url)
    _passphrase(settings)
    store = _open_store(settings)
    _ensure_key(store, settings, alg)
    with store.transaction() as tx:
        if tx.list_staff():
            err.print("[yellow]already initialised[/]: staff exist; use `certreg token create`.")
            return
        _, secret = staff_records.enrol(
            tx,
            actor="system:cli",
            now=system_clock(),
            entropy=system_entropy,
            name="Administrator",
            role=Role.ADMINISTRATOR,
        )
    err.print(f"issuer store ready at {settings.issuer_url}")
    err.print("administrator token (shown once; keep it safe):")
    typer.echo(secret)


class Only(enum.StrEnum):
    ISSUER = "issuer"
    REGISTRY = "registry"


def _open_registry(settings: Settings) -> RegistryStore:
    from registry import RegistryStore
    from registry import upgrade as registry_upgrade

    if settings.registry_database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = RegistryStore.from_url(settings.registry_store_url)
    registry_upgrade(store.engine)
    return store


@app.command()
def serve(
    data_dir: DataDir = None,
    base_url: BaseUrl = None,
    host: Annotated[str, typer.Option(help="network address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="in a new data directory, add a demo scheme and demo certified persons",
        ),
    ] = False,
    only: Annotated[
        Only | None,
        typer.Option(
            "--only",
            help="serve only the back office (issuer) or only the public registry (registry)",
        ),
    ] = None,
) -> None:
    """Run the web server: back office API, public registry and verification pages.

    By default one server does everything: the back office API for staff at `/api/v1` (its
    documentation at `/docs`), the public registry (its home page at `/`, certificate
    lookups, the directory, scheme pages, status lists and keys), the page behind every QR
    code at `/v/…`, credential checks at `POST /credentials/verify`, and certified persons'
    own pages at `/holder`. Each recorded change is published to the registry at once. The
    addresses to open are printed at start.

    What the calendar makes due happens by itself: every minute (or every
    `CERTREG_DUE_JOBS_INTERVAL_SECONDS`; 0 turns it off) certifications past their last
    valid day become expired, and suspensions past their resolve-by date are referred to
    the decision-makers, as `certreg jobs run-due` does once. After every change, and every
    hour besides (`CERTREG_AUDIT_CHECKPOINT_INTERVAL_SECONDS`; 0: only after changes), a
    signed checkpoint of how far the audit log went is published to the registry, so that
    `certreg audit verify` can show entries cut off its end. Notices to certified persons
    are e-mailed through the SMTP server of `CERTREG_SMTP_HOST` every 30 seconds (or every
    `CERTREG_NOTICE_SEND_INTERVAL_SECONDS`), as `certreg notices send` does once; without
    an SMTP host they wait.

    `--only registry` serves the public registry alone from its own store, with no signing
    key and no passphrase; on PostgreSQL (`CERTREG_REGISTRY_DATABASE_URL`) several can run
    behind a load balancer. It accepts publications from a separately run back office when
    `CERTREG_REGISTRY_INTAKE_TOKEN` is set.
    `--only issuer` serves the back office alone and publishes to the registry at
    `CERTREG_REGISTRY_URL` with that token.

    `--demo` starts in demo mode; in a new data directory it adds a demo scheme and demo
    certified persons and writes a demo administrator's token to `demo-admin.token` there,
    and a demo decision-maker's to `demo-decision-maker.token` (an administrator cannot
    make a decision-maker's token)."""
    import uvicorn

    from issuer import demo as demo_seed
    from issuer.heap import freeze_startup_heap
    from issuer.http.app import create_app, public_registry_app
    from issuer.mail import SmtpTransport
    from issuer.runtime import system_clock, system_entropy
    from registry import Registry

    settings = _settings(data_dir, base_url, demo=demo or None)
    if "base_url" not in settings.model_fields_set:
        # No --base-url and no CERTREG_BASE_URL: this server's own address is the public one.
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    if only is Only.REGISTRY:
        token = settings.registry_intake_token
        application = public_registry_app(
            _open_registry(settings),
            settings,
            intake_token=None if token is None else token.get_secret_value(),
        )
        err.print(f"public registry:  {settings.base_url}/.well-known/did.json")
        freeze_startup_heap()
        uvicorn.run(application, host=host, port=port, log_level="info")
        return
    _passphrase(settings)
    store = _open_store(settings)
    _ensure_key(store, settings)
    registry = None if only is Only.ISSUER else Registry(_open_registry(settings))
    application = create_app(
        settings,
        store=store,
        registry=registry,
        due_jobs_interval=settings.due_jobs_interval_seconds or None,
        notice_transport=SmtpTransport.from_settings(settings, clock=system_clock),
        notice_send_interval=settings.notice_send_interval_seconds or None,
    )
    if settings.smtp_host is None:
        err.print("notices to certified persons: not sent (no CERTREG_SMTP_HOST); they wait")
    if only is Only.ISSUER:
        _http_publishing(application, settings)
    if settings.demo:
        seeded = demo_seed.seed(
            store,
            now=system_clock(),
            entropy=system_entropy,
            issuance=application.state.services.issuance,
        )
        if seeded is not None:
            err.print(
                "[green]demo records seeded[/]: certificates "
                + ", ".join(seeded.certificate_numbers)
            )
            for file, who, secret in (
                ("admin", "administrator", seeded.admin_token),
                ("decision-maker", "decision-maker", seeded.decision_maker_token),
            ):
                token_file = settings.data_dir / f"demo-{file}.token"
                token_file.write_text(secret + "\n", encoding="utf-8")
                token_file.chmod(0o600)
                err.print(f"demo {who} token: {secret} (also in {token_file})")
    err.print(f"back office API:  {settings.base_url}/api/v1")
    err.print(f"API docs:         {settings.base_url}/docs")
    err.print(f"OpenAPI document: {settings.base_url}/openapi.json")
    if registry is not None:
        err.print(f"public registry:  {settings.base_url}/.well-known/did.json")
    freeze_startup_heap()
    uvicorn.run(application, host=host, port=port, log_level="info")


def _http_publishing(application: FastAPI, settings: Settings) -> None:
    """Issuer-only mode: publish to a separately run registry over HTTP, in the background."""
    import httpx

    from issuer.http.app import attach_checkpoints, attach_publishing
    from issuer.publication.publishers import HttpCheckpoints, HttpPublisher

    if settings.registry_url is None or settings.registry_intake_token is None:
        err.print("[yellow]no CERTREG_REGISTRY_URL / token[/]: changes wait in the outbox")
        if settings.registry_url is not None:  # its checkpoint is public: the audit reads it
            reader = httpx.Client(base_url=settings.registry_url, timeout=10)
            attach_checkpoints(application, HttpCheckpoints(reader))
        return
    client = httpx.Client(base_url=settings.registry_url, timeout=10)
    publisher = HttpPublisher(
        client=client, token=settings.registry_intake_token.get_secret_value()
    )
    attach_publishing(application, settings, publisher, interval=0.5)


@registry_app.command("rebuild")
def registry_rebuild(data_dir: DataDir = None, base_url: BaseUrl = None) -> None:
    """Publish every public document again, so the registry holds all it should.

    Sends the keys, status lists, register entries, scheme information and credentials
    afresh: an empty or damaged registry ends up the same as one that saw every change.
    Publishes to `CERTREG_REGISTRY_URL` when it and `CERTREG_REGISTRY_INTAKE_TOKEN` are set,
    otherwise to the registry's store beside the back office's. Prints how many documents
    were published."""
    import httpx

    from issuer.http.app import create_app
    from issuer.publication import outbox
    from issuer.publication.outbox import Publisher
    from issuer.publication.publishers import HttpPublisher, InProcessPublisher
    from issuer.runtime import system_clock
    from registry import Registry

    settings = _settings(data_dir, base_url)
    _passphrase(settings)
    store = _open_store(settings)
    if settings.registry_url is not None and settings.registry_intake_token is not None:
        client = httpx.Client(base_url=settings.registry_url, timeout=30)
        publisher: Publisher = HttpPublisher(
            client=client, token=settings.registry_intake_token.get_secret_value()
        )
    else:
        publisher = InProcessPublisher(Registry(_open_registry(settings)))
    services = create_app(settings, store=store).state.services
    count = outbox.rebuild(
        store,
        publisher,
        context=services.issuance,
        ttl_seconds=settings.status_list_ttl_seconds,
        clock=system_clock,
        validity_seconds=settings.status_list_validity,
    )
    typer.echo(f"{count} documents published")


app.command("issue-bulk")(issue_bulk)
app.command("bench")(bench)
app.command("verify")(verify)
registry_app.command("export-bundle")(export_bundle)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        sys.exit(130)
