"""``certreg verify``: the verifier from a terminal.

``verify`` checks one ``vc+jwt`` with the :mod:`verifier` library — online (keys and status
lists fetched over HTTPS from the issuer) or ``--offline`` against a bundle that
``registry export-bundle`` wrote. The exit status is the answer, for scripts: 0 valid, 1 not
valid (revoked, superseded, suspended, expired, bad signature, untrusted issuer, a credential
nothing signs, not a credential…), 2 could not decide (status or keys unreachable) — and 2
as well for a usage error, such as an unreadable bundle (:mod:`issuer.cli.bundles` writes
them), so that 0 and 1 always mean a
decision was reached. The wall clock is
read here, once, and passed to the verifier; nothing below the command line reads it.

Online, the newest ``validFrom`` seen of each status list is kept in a small file between
runs (``--seen-lists``): a verifier that exits after one credential would otherwise forget
it at once, and an address serving an older list — signed before a suspension — would be
believed the next time (:mod:`verifier.replay`). The file (:mod:`issuer.cli.seen_lists`) only
ever makes answers stricter: lost or unreadable, it is started afresh with a warning.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.text import Text

from issuer.cli import seen_lists as seen_store
from issuer.cli import verify_presentation as vp

if TYPE_CHECKING:
    from verifier import Bundle, Report, TrustPolicy, Verifier

__all__ = ["verify"]

MAX_INPUT_BYTES = 1024 * 1024
"""More than any credential; the verifier refuses anything over its own, smaller, cap."""
USAGE = 2
_VERDICT_STYLE = {
    "valid": ("bold white on green", "VALID"),
    "suspended": ("bold black on yellow", "SUSPENDED"),
    "revoked": ("bold white on red", "REVOKED (withdrawn)"),
    "superseded": ("bold black on yellow", "SUPERSEDED (replaced by a newer credential)"),
    "expired": ("bold white on red", "EXPIRED"),
    "not-yet-valid": ("bold black on yellow", "NOT YET VALID"),
    "invalid": ("bold white on red", "NOT VALID"),
    "cannot-confirm": ("bold black on yellow", "CANNOT CONFIRM"),
}

err = Console(stderr=True)


def _usage(message: str) -> NoReturn:
    err.print(Text("error: ", style="red") + Text(_printable(message, 500)))
    raise typer.Exit(USAGE)


def _printable(value: object, limit: int = 200) -> str:
    """A credential's text, safe for a terminal: no control or escape characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "".join(c if c.isprintable() else "\ufffd" for c in text[:limit])


def _read_input(credential: str) -> str:
    """The presented text: standard input for ``-``, a file's content, or the argument."""
    if credential == "-":
        return sys.stdin.read(MAX_INPUT_BYTES + 1)
    path = Path(credential)
    try:
        is_file = len(credential) < 4096 and path.is_file()
    except (OSError, ValueError):
        is_file = False
    if not is_file:
        return credential
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        _usage(f"cannot read {credential[:200]}: {exc.strerror or exc}")
    return raw.decode("utf-8", errors="replace")


def _token(text: str) -> str:
    """The compact JWS in the input: bare, as a ``data:`` URL, or as a JSON envelope.

    Raises :class:`verifier.VerificationError` for input that is an answer in itself: a plain
    JSON credential that nothing secures, or a base64 ``data:`` URL that does not decode.
    """
    from verifier.requests import RequestProblem, unwrap_credential

    stripped = text.strip()
    try:
        if stripped.startswith("{"):
            try:
                envelope = json.loads(stripped)
            except (ValueError, RecursionError):
                return stripped  # not JSON after all: the verifier names the parsing error
            return unwrap_credential(envelope)
        return unwrap_credential(stripped)
    except RequestProblem as problem:
        _usage(f"this is not a credential form certreg verify reads: {problem.detail}")


def _default_trust() -> list[str]:
    from pydantic import ValidationError

    from issuer.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        _usage(f"invalid CERTREG_* settings: {exc.errors()[0].get('msg', '')}")
    if "base_url" not in settings.model_fields_set:
        _usage(
            "name a trusted issuer with --trust (a DID or https base URL), or set CERTREG_BASE_URL"
        )
    return [settings.base_url]


def _http_host(value: str) -> str:
    """The host of an ``--unsafe-allow-http`` value, typed as ``HOST``, ``HOST:PORT`` or
    ``http://HOST:PORT`` (the address bar's form); ``[::1]:8000`` for IPv6."""
    text = value.strip()
    try:
        parts = urlsplit(text if "//" in text else f"//{text}")
        host = parts.hostname
        parts.port  # noqa: B018 — urlsplit checks the port only when it is read
    except ValueError:
        host = None
    if not host or parts.scheme not in ("", "http"):
        _usage(
            f"--unsafe-allow-http {value[:100]}: give the host as you would type it, "
            "such as 127.0.0.1:8000 or localhost"
        )
    return host


def _plain_http_refused(issuer: str, http_hosts: frozenset[str]) -> str | None:
    """Why ``--trust`` ``issuer`` cannot be used as given, if it names a plain-HTTP registry
    that ``--unsafe-allow-http`` does not admit: a did:web issuer's keys are fetched over
    HTTPS, so trusting ``http://…`` would otherwise quietly mean ``https://…``."""
    if not issuer.lower().startswith("http://"):
        return None
    try:
        parts = urlsplit(issuer)
        host, netloc = parts.hostname, parts.netloc
    except ValueError:
        return None  # the policy names what is wrong with it
    if not host or host in http_hosts:
        return None
    return (
        f"--trust {issuer[:100]} is plain HTTP, and keys and status lists are only fetched over "
        f"HTTPS. To trust a registry over plain HTTP for a local test, add "
        f"--unsafe-allow-http {netloc}"
    )


def _policy(issuers: list[str], http_hosts: list[str]) -> TrustPolicy:
    from verifier import TrustPolicy

    hosts = frozenset(_http_host(h) for h in http_hosts)
    for issuer in issuers:
        refused = _plain_http_refused(issuer, hosts)
        if refused:
            _usage(refused)
    try:
        return TrustPolicy.trusting(*issuers, unsafe_http_hosts=hosts)
    except ValueError as exc:
        _usage(f"--trust: {exc}")


def _offline_verifier(
    bundle_path: Path, trust: list[str], http_hosts: list[str]
) -> tuple[Verifier, Bundle]:
    from verifier import Verifier, read_bundle
    from verifier.errors import VerificationError

    try:
        raw = bundle_path.read_bytes()
    except OSError as exc:
        _usage(f"cannot read the bundle {bundle_path}: {exc.strerror or exc}")
    try:
        bundle = read_bundle(raw)
        keys = bundle.keys()
    except VerificationError as exc:
        _usage(f"{bundle_path} is not a usable offline bundle: {exc.detail}")
    policy = _policy(trust, http_hosts) if trust else bundle.policy()
    return Verifier(policy=policy, keys=keys, status=bundle.status()), bundle


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    return subject if isinstance(subject, Mapping) else {}


def _open_badge_certification(subject: Mapping[str, Any]) -> Mapping[str, Any]:
    """An Open Badges ``AchievementSubject`` in the words of certreg's certificate: the
    holder's name, the certificate number (``licenseNumber``) and the scheme (the
    ``Achievement``); empty for any other subject."""
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping):
        return {}
    identifiers = subject.get("identifier")
    names = [
        i.get("identityHash")
        for i in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(i, Mapping) and i.get("identityType") == "name" and i.get("hashed") is False
    ]
    return {
        "holder": names[0] if names else None,
        "certificateNumber": subject.get("licenseNumber"),
        "scheme": {
            "name": achievement.get("name"),
            "code": achievement.get("humanCode"),
            "version": achievement.get("version"),
        },
    }


def _summary_rows(report: Report) -> list[tuple[str, str]]:
    credential = report.credential or {}
    subject = _subject(credential)
    certification = subject.get("certification") or subject.get("certificationMark")
    if not isinstance(certification, Mapping):
        certification = _open_badge_certification(subject)
    rows: list[tuple[str, object]] = [
        ("holder", subject.get("name") or certification.get("holder")),
        ("certificate", certification.get("certificateNumber")),
    ]
    scheme = certification.get("scheme")
    if isinstance(scheme, Mapping):
        rows.append(
            (
                "scheme",
                f"{scheme.get('name')} ({scheme.get('code')}, version {scheme.get('version')})",
            )
        )
    scope = certification.get("scope")
    if isinstance(scope, list):
        names = [s.get("name") or s.get("code") for s in scope if isinstance(s, Mapping)]
        rows.append(("scope", "; ".join(str(n) for n in names)))
    if "effectiveDate" in certification or "expiryDate" in certification:
        validity = f"{certification.get('effectiveDate')} to {certification.get('expiryDate')}"
    else:
        validity = f"{credential.get('validFrom')} to {credential.get('validUntil')}"
    if credential:
        rows.append(("valid", validity))
    since = certification.get("originalCertificationDate")
    if isinstance(since, str) and since:
        rows.append(("certified since", since))
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        rows.append(("issuer", f"{issuer.get('name')} ({issuer.get('id')})"))
    elif report.issuer:
        rows.append(("issuer", report.issuer))
    if report.superseded_by:
        rows.append(("replaced by", report.superseded_by))
    return [(label, _printable(value)) for label, value in rows if value not in (None, "")]


def _print_summary(report: Report, warnings: list[str]) -> None:
    out = Console(highlight=False)
    style, words = _VERDICT_STYLE.get(report.verdict.value, ("bold", report.verdict.value))
    out.print(Text(f" {words} ", style=style))
    for label, value in _summary_rows(report):
        out.print(Text(f"{label:>12}: ", style="bold") + Text(value))
    for problem in report.errors:
        title, detail = problem.get("title", ""), problem.get("detail", "")
        out.print(Text(f"{'problem':>12}: ", style="bold") + Text(_printable(title, 200)))
        out.print(Text(" " * 14 + _printable(detail, 500)))
        out.print(Text(" " * 14 + _printable(problem.get("type", ""), 200), style="dim"))
    for warning in warnings:
        out.print(Text(f"{'warning':>12}: ", style="yellow") + Text(_printable(warning, 500)))
    out.print(Text(f"{'checked at':>12}: {report.checked_at:%Y-%m-%d %H:%M:%SZ}"))


DEFAULT_BUNDLE_MAX_AGE_HOURS = 24.0


def _aged(report: Report, bundle: Bundle, now: datetime, max_age_hours: float) -> Report:
    """A stale bundle cannot vouch for a status that may have changed since (valid or
    suspended); what cannot be undone (revoked, a bad signature, expiry) still stands."""
    from verifier import StatusRetrievalError, Verdict

    age = now - bundle.created_at
    reversible = (Verdict.VALID, Verdict.SUSPENDED)
    if age <= timedelta(hours=max_age_hours) or report.verdict not in reversible:
        return report
    error = StatusRetrievalError(
        f"the offline bundle is {age.total_seconds() / 3600:.1f} hours old, more than "
        f"--max-age {max_age_hours:g}: the current status cannot be confirmed",
        credential=report.credential,
    )
    return replace(
        report,
        verdict=error.verdict,
        errors=(error.problem(),),
        error=error,
        checks=(),
    )


def verify(
    credential: Annotated[
        str,
        typer.Argument(
            help="the credential: a compact vc+jwt, a data:application/vc+jwt URL or an "
            "EnvelopedVerifiableCredential JSON object — given directly, as a file, or - "
            "for standard input"
        ),
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="print the whole verification report as JSON")
    ] = False,
    offline: Annotated[
        Path | None,
        typer.Option(
            "--offline",
            help="verify against this bundle (certreg registry export-bundle) without network",
        ),
    ] = None,
    trust: Annotated[
        list[str] | None,
        typer.Option(
            "--trust",
            help="a trusted issuer: a DID or the https base URL of its registry (repeatable); "
            "default: CERTREG_BASE_URL's issuer, or with --offline the bundle's issuers",
        ),
    ] = None,
    max_age_hours: Annotated[
        float,
        typer.Option(
            "--max-age",
            help="with --offline: a bundle older than this many hours cannot confirm a "
            "valid or suspended status (exit 2); revocations and bad signatures still count",
            min=0,
        ),
    ] = DEFAULT_BUNDLE_MAX_AGE_HOURS,
    unsafe_allow_http: Annotated[
        list[str] | None,
        typer.Option(
            "--unsafe-allow-http",
            help="fetch keys and status lists from this host over plain HTTP, for a local "
            "test only: 127.0.0.1:8000, localhost or http://127.0.0.1:8000 (repeatable; "
            "any port of the host is then allowed)",
            metavar="HOST[:PORT]",
        ),
    ] = None,
    seen_lists: Annotated[
        Path | None,
        typer.Option(
            "--seen-lists",
            help="online: the file that keeps the newest date of each status list seen, so "
            "that an older copy served later cannot confirm anything (exit 2); default: "
            "~/.local/state/certreg/seen-status-lists.json",
        ),
    ] = None,
    nonce: vp.Nonce = None,
    audience: vp.Audience = None,
) -> None:
    """Verify a credential, or with --nonce and --audience a holder's presentation: exit 0
    valid; 1 not valid (revoked, superseded by a newer credential, suspended, expired, bad
    signature, untrusted issuer, a plain JSON credential that nothing signs, not a
    credential…); 2 could not decide (status or keys unreachable) or a usage error (such as
    an unreadable bundle)."""
    from verifier import (
        HttpFetcher,
        HttpKeys,
        Report,
        VerificationError,
        http_sd_jwt_verifier,
        http_verifier,
    )

    http_hosts = list(unsafe_allow_http or [])
    text = _read_input(credential)
    presentation = nonce is not None or audience is not None or vp.looks_like_presentation(text)
    try:
        token = "" if presentation else _token(text)
    except VerificationError as refusal:
        # An answer already (unsecured, or undecodable): no keys or lists are needed for it.
        _answer(Report.refused(refusal, now=datetime.now(UTC)), [], json_output=json_output)
    warnings: list[str] = []
    if offline is not None:
        verifier, bundle = _offline_verifier(offline, list(trust or []), http_hosts)
        created = f"{bundle.created_at:%Y-%m-%dT%H:%M:%SZ}"
        warnings.append(
            f"verified offline against a bundle created at {created}: a suspension or "
            "withdrawal published after then is not seen"
        )
        now = datetime.now(UTC)
        if presentation:
            held = vp.verify_presentation(
                text,
                nonce=nonce,
                audience=audience,
                credentials=verifier,
                holder_keys=None,
                sd_jwt=vp.offline_sd_jwt_verifier(verifier, bundle),
            )
            vp.answer(held, warnings, json_output=json_output, print_summary=_print_summary)
        report = _aged(verifier.check(token, now=now), bundle, now, max_age_hours)
    else:
        from verifier import SeenLists

        policy = _policy(list(trust or []) or _default_trust(), http_hosts)
        seen_path = seen_lists or seen_store.default_path()
        remembered = seen_store.load(seen_path, warnings)
        seen = SeenLists(remembered)
        fetcher = HttpFetcher(policy)
        try:
            online = http_verifier(policy, fetcher=fetcher, seen_lists=seen)
            if presentation:
                holders = HttpKeys(policy, fetcher, relationship="authentication")
                held = vp.verify_presentation(
                    text,
                    nonce=nonce,
                    audience=audience,
                    credentials=online,
                    holder_keys=holders,
                    sd_jwt=http_sd_jwt_verifier(policy, fetcher=fetcher, seen_lists=seen),
                )
            else:
                report = online.check(token, now=datetime.now(UTC))
        finally:
            fetcher.close()
        if seen.snapshot() != remembered:
            seen_store.save(seen_path, seen.snapshot(), warnings)
        if presentation:
            vp.answer(held, warnings, json_output=json_output, print_summary=_print_summary)
    _answer(report, [*report.warnings, *warnings], json_output=json_output)


def _answer(report: Report, warnings: list[str], *, json_output: bool) -> NoReturn:
    """Print the report — the same JSON result as ``POST /credentials/verify`` with
    ``--json`` — and exit with its code."""
    from verifier import verification_result

    if json_output:
        answer = verification_result(report, warnings=warnings)
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        _print_summary(report, warnings)
    raise typer.Exit(report.exit_code)
