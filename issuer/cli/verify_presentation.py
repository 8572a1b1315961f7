"""``certreg verify --nonce N --audience A PRESENTATION``: a holder's presentation from a terminal.

An employer who asked a certified person for proof receives a presentation (``vp+jwt``,
:mod:`verifier.presentations`, or an SD-JWT VC with its key binding JWT,
:mod:`verifier.sd_jwt_presentation`) signed over the nonce and audience the employer chose; this
checks it with the same verifiers ``certreg verify`` uses for a credential — online, or
``--offline`` against a bundle — and prints the verdict, the holder and each credential in
the same style. The exit status is the answer, as for a credential: 0 valid (the
presentation and every credential in it), 1 not valid, 2 could not decide (a status or key
unreachable) or a usage error (no nonce or audience, a format not read here).

Online, a holder named by a ``did:web`` has its document fetched over HTTPS with the same
limits as an issuer's (its ``authentication`` keys); a ``did:jwk`` holder needs nothing
fetched, nor does an SD-JWT VC's holder (the key in its ``cnf``), whose issuer keys come
from its JWT VC Issuer Metadata. Offline, only ``did:jwk`` holders and SD-JWT VCs can be
checked: the latter with the bundle's keys and Token Status Lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from verifier import Bundle, Report, Verifier
    from verifier.keys import KeySource
    from verifier.presentation_result import PresentationReport
    from verifier.sd_jwt_vc import SdJwtVcVerifier

__all__ = [
    "Audience",
    "Nonce",
    "answer",
    "looks_like_presentation",
    "offline_sd_jwt_verifier",
    "verify_presentation",
]

USAGE = 2
Nonce = Annotated[
    str | None,
    typer.Option("--nonce", help="for a presentation: the nonce you gave the holder"),
]
Audience = Annotated[
    str | None,
    typer.Option("--audience", help="for a presentation: the audience you gave the holder"),
]


def looks_like_presentation(text: str) -> bool:
    """Whether the input is a presentation rather than a credential: an
    ``EnvelopedVerifiablePresentation``, a ``vp+…`` or SD-JWT ``data:`` URL, a JWS whose
    header says ``vp+jwt``, or an SD-JWT (``~``-separated)."""
    import base64

    stripped = text.strip()
    if "EnvelopedVerifiablePresentation" in stripped[:4096] or "~" in stripped:
        return True
    if stripped.startswith("data:"):
        media = stripped[5:].split(",", 1)[0].lower()
        return "vp+" in media or "sd-jwt" in media
    head = stripped.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, RecursionError):
        return False
    return isinstance(header, dict) and header.get("typ") in ("vp+jwt", "application/vp+jwt")


def _usage(message: str) -> NoReturn:
    Console(stderr=True).print(Text("error: ", style="red") + Text(message[:500]))
    raise typer.Exit(USAGE)


def offline_sd_jwt_verifier(credentials: Verifier, bundle: Bundle) -> SdJwtVcVerifier:
    """The SD-JWT VC verifier of ``--offline``: the bundle's keys (an HTTPS ``iss`` read as
    its did:web) and Token Status Lists, under the same trust policy as ``credentials``."""
    from verifier.jwt_vc_issuer import DidWebAliasKeys
    from verifier.sd_jwt_vc import SdJwtVcVerifier

    return SdJwtVcVerifier(
        policy=credentials.policy,
        keys=DidWebAliasKeys(bundle.keys()),
        status=bundle.token_status(),
        seen_lists=credentials.seen_lists,
    )


def verify_presentation(
    text: str,
    *,
    nonce: str | None,
    audience: str | None,
    credentials: Verifier,
    holder_keys: KeySource | None,
    sd_jwt: SdJwtVcVerifier | None = None,
) -> PresentationReport:
    """Verify the presentation ``text`` (an SD-JWT VC's with ``sd_jwt``); the report
    (printing is :func:`answer`'s)."""
    from datetime import UTC, datetime

    from verifier.errors import VerificationError
    from verifier.presentation_result import PresentationReport
    from verifier.presentations import PresentationVerifier
    from verifier.presented import read_presented, verify_presented
    from verifier.requests import RequestProblem

    if not nonce or not audience:
        _usage(
            "a presentation is checked against the nonce and audience you gave the holder: "
            "add --nonce and --audience"
        )
    stripped = text.strip()
    value: object = stripped
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            value = stripped
    now = datetime.now(UTC)
    presentations = PresentationVerifier(
        credentials=credentials, holder_keys=holder_keys, sd_jwt=sd_jwt
    )
    try:
        return verify_presented(
            read_presented(value),
            presentations=presentations,
            nonce=nonce,
            audience=audience,
            now=now,
        )
    except VerificationError as refusal:
        return PresentationReport.refused(
            refusal, now=now, presentation_format="unsecured", nonce=nonce, audience=audience
        )
    except RequestProblem as problem:
        _usage(f"this is not a presentation certreg verify reads: {problem.detail}")


def answer(
    report: PresentationReport,
    warnings: list[str],
    *,
    json_output: bool,
    print_summary: Callable[[Report, list[str]], None],
) -> NoReturn:
    """Print the presentation's report — with ``--json`` the same JSON as
    ``POST /presentations/verify`` — and exit with its code."""
    if json_output:
        result = report.as_json()
        result["warnings"] = [*result["warnings"], *warnings]
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        raise typer.Exit(report.exit_code)
    out = Console(highlight=False)
    words = {"valid": "VALID PRESENTATION"}.get(report.verdict.value, "")
    style = "bold white on green" if report.verified else "bold white on red"
    if report.verdict.value == "cannot-confirm":
        style = "bold black on yellow"
    out.print(Text(f" {words or 'PRESENTATION NOT VALID'} ", style=style))
    rows = [("holder", report.holder), ("nonce", report.nonce), ("audience", report.audience)]
    for label, value in rows:
        if value:
            out.print(Text(f"{label:>12}: ", style="bold") + Text(_printable(value)))
    for problem in report.errors:
        out.print(Text(f"{'problem':>12}: ", style="bold") + Text(_printable(problem["title"])))
        out.print(Text(" " * 14 + _printable(problem.get("detail", ""), 500)))
    for number, held in enumerate(report.credentials, start=1):
        out.print(Text(f"\ncredential {number} ({held.binding.value} to the holder):"))
        print_summary(held.report, [])
    for warning in [*report.warnings, *warnings]:
        out.print(Text(f"{'warning':>12}: ", style="yellow") + Text(_printable(warning, 500)))
    raise typer.Exit(report.exit_code)


def _printable(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "".join(c if c.isprintable() else "\ufffd" for c in text[:limit])
