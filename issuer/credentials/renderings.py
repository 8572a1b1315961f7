"""A credential's renderings — its QR codes and its printable certificate — as true today.

**What the page shows.** The printable certificate prints what the signed credential says —
its holder, number, scheme version, scope and its own ``validFrom``/``validUntil`` — never the
certification's current record: a credential superseded by a scope change or a
recertification keeps the scope and dates it was signed with, exactly like the verification
page behind its QR code. What happened since is added as notices
(:mod:`issuer.credentials.certificate_notices`), from the records:

- a superseded credential says so and when its replacement was issued (and, if the
  certification was then withdrawn, that too);
- otherwise a withdrawal, an expiry (by the calendar: the page says "expired" from the first
  day after the last valid day, whether or not the due jobs have recorded it yet) or a
  suspension in force, each with its date.

**The language.** A certificate is printed in the language asked for (``?lang=``), else
in the certified person's recorded language, else in the body's own (the ``language``
setting); bilingual on request, with English beneath each text. A scheme's own words — its
title, certificate title and scope items — are printed in their translation for that
language when the scheme version has one, else as the body wrote them.

**The cache is keyed by what a rendering shows.** A rendering is made on first request and
kept (never at issuance: most are never asked for). It is stored under a digest of
everything it shows — the certificate's view, notices included, or the URL in a QR code —
and of how it is drawn (the layout's version), so a lookup after any change misses: a
lifecycle decision, the calendar passing an expiry date, a new base URL (the address in the
QR code). No code that changes a certification has to remember to invalidate anything, and a
page made before a suspension is never handed out after it. Each new rendering replaces the
credential's earlier one in that format.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from issuer.credentials import qr
from issuer.credentials.certificate_notices import Notice, Standing
from issuer.credentials.certificate_pdf import LAYOUT_VERSION, CertificateView
from issuer.credentials.certificate_pdf import render_certificate_pdf as _render_pdf
from issuer.errors import InvalidInput
from issuer.model import (
    Certification,
    CertificationStatus,
    Credential,
    CredentialKind,
    LifecycleKind,
    SchemeTranslation,
)
from issuer.store import Tx
from schemas.languages import DEFAULT_LANGUAGE, LANGUAGES

__all__ = [
    "QrFormat",
    "certificate_language",
    "certificate_pdf",
    "certificate_view",
    "notices",
    "qr_code",
]

QrFormat = Literal["qr.svg", "qr.png"]


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _claims(jws: str) -> dict[str, Any]:
    """The payload of a credential this issuer signed and stored (checked when it was made)."""
    part = jws.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


def _since(tx: Tx, certification: Certification, kind: LifecycleKind) -> date | None:
    """The day the latest decision of ``kind`` took effect: a suspension carried into a new
    certificate (a recertification, a scope change) keeps the day it began."""
    decided = [d for d in tx.lifecycle_decisions(certification.id) if d.kind is kind]
    if decided:
        latest = decided[-1]
        return _day(latest.effective_at or latest.decided_at)
    return _day(certification.status_since) if certification.status_since else None


def notices(tx: Tx, credential: Credential, *, now: datetime) -> tuple[Notice, ...]:
    """What the page of ``credential`` must say happened since it was signed, weightiest first
    (none for a certificate as valid as when it was issued)."""
    certification = tx.get_certification(credential.certification_id)
    assert certification is not None  # a credential's certification is never deleted
    status = certification.status
    withdrawn = (
        (Notice(Standing.WITHDRAWN, _since(tx, certification, LifecycleKind.WITHDRAW)),)
        if status is CertificationStatus.WITHDRAWN
        else ()
    )
    if credential.superseded_by is not None:
        replacement = tx.get_credential(credential.superseded_by)
        issued = _day(replacement.issued_at) if replacement is not None else None
        return (Notice(Standing.SUPERSEDED, issued), *withdrawn)
    if withdrawn:
        return withdrawn
    # Expired from 00:00 UTC after the last valid day, as the due jobs count it.
    if status is CertificationStatus.EXPIRED or _day(now) > _day(credential.valid_until):
        return (Notice(Standing.EXPIRED, _day(credential.valid_until) + timedelta(days=1)),)
    if status is CertificationStatus.SUSPENDED:
        return (Notice(Standing.SUSPENDED, _since(tx, certification, LifecycleKind.SUSPEND)),)
    return ()


def certificate_language(
    tx: Tx, credential: Credential, *, requested: str | None, default: str
) -> str:
    """The language to print ``credential``'s certificate in: ``requested`` (a ``?lang=``),
    else the certified person's recorded language, else ``default`` (the body's).

    Raises :class:`InvalidInput` (``language-not-offered``) for a requested language
    certreg has no catalogue for, rather than printing a page in another one."""
    if requested is not None:
        if requested not in LANGUAGES:
            raise InvalidInput(
                f"certificates are printed in {', '.join(LANGUAGES)}: not {requested[:16]!r}",
                kind="language-not-offered",
            )
        return requested
    certification = tx.get_certification(credential.certification_id)
    assert certification is not None  # a credential's certification is never deleted
    person = tx.get_person(certification.person_id)
    chosen = None if person is None else person.confidential.language
    if chosen in LANGUAGES:
        assert chosen is not None
        return chosen
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def _scope(
    items: list[dict[str, Any]], translation: SchemeTranslation | None
) -> tuple[tuple[str, str], ...]:
    """The credential's scope items, each in its translation when the scheme gives one."""
    return tuple(
        (
            item["code"],
            (translation.scope_title(item["code"]) if translation else None) or item["name"],
        )
        for item in items
    )


def certificate_view(
    tx: Tx,
    credential: Credential,
    *,
    base_url: str,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
    bilingual: bool = False,
) -> CertificateView:
    """The printable certificate of ``credential``: what it was signed with, and its notices;
    the title its scheme version gives its certificates; the scheme's words in ``language``
    when its version has them; and what the body prints on every certificate now — its
    address, logo, accreditation (from the body information), its accreditation mark and
    signatory (from the certificate design).

    Raises :class:`InvalidInput` for a mark credential, which has no printable certificate.
    """
    if credential.kind is not CredentialKind.CERTIFICATE:
        raise InvalidInput("only a certificate credential has a printable certificate")
    claims = _claims(credential.jws)
    subject = claims["credentialSubject"]
    certification = subject["certification"]
    scheme = certification["scheme"]
    record = tx.get_certification(credential.certification_id)
    assert record is not None  # a credential's certification is never deleted
    version = tx.get_scheme_version_by_number(record.scheme_id, int(scheme["version"]))
    own_title = None if version is None else version.content.certificate_title
    translation = None if version is None else version.content.translation(language)
    title = (translation.certificate_title if translation else None) or own_title
    scheme_name = (translation.title if translation else None) or scheme["name"]
    design = tx.current_certificate_design()
    information = tx.current_body_information()
    accreditation = None if information is None else information.accreditation
    return CertificateView(
        holder_name=subject["name"],
        certificate_number=certification["certificateNumber"],
        body_name=claims["issuer"]["name"],
        scheme_name=scheme_name,
        scheme_code=scheme["code"],
        scheme_version=int(scheme["version"]),
        scope=_scope(certification["scope"], translation),
        effective_date=_day(credential.valid_from),
        expiry_date=_day(credential.valid_until),
        verification_url=qr.verification_url(base_url, credential.id),
        issued_at=credential.issued_at,
        notices=notices(tx, credential, now=now),
        certified_since=_first_certified(certification.get("originalCertificationDate")),
        **({} if title is None else {"title": title}),
        own_title=own_title if own_title != title else None,
        language=language,
        bilingual=bilingual,
        body_address=None if design is None else design.address,
        accreditation_body=None if accreditation is None else accreditation.body,
        accreditation_number=None if accreditation is None else accreditation.number,
        signatory_name=None if design is None else design.signatory_name,
        signatory_function=None if design is None else design.signatory_function,
        logo_png=None if design is None else design.logo_png,
        accreditation_mark_png=None if design is None else design.accreditation_mark_png,
    )


def _first_certified(value: object) -> date | None:
    """The day of first certification a credential states (v3 on), else ``None``."""
    return date.fromisoformat(value) if isinstance(value, str) else None


def _shows(*parts: object) -> str:
    """A short digest of everything a rendering shows and how it is drawn: its cache key.

    96 bits: the renderings of one credential are a handful, made from the body's own records.
    """
    data = json.dumps(parts, default=str, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()[:12]).decode()


def _cached(
    tx: Tx, credential: Credential, fmt: str, shows: str, render: Callable[[], bytes], at: datetime
) -> bytes:
    content = tx.get_rendering(credential.id, fmt, shows)
    if content is None:
        content = render()
        tx.put_rendering(credential.id, fmt, shows, content, at)
    return content


def certificate_pdf(
    tx: Tx,
    credential: Credential,
    *,
    base_url: str,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
    bilingual: bool = False,
) -> bytes:
    """The printable certificate of ``credential`` as it must read at ``now`` (PDF bytes), in
    ``language`` (see :func:`certificate_language`), with English beneath if ``bilingual``.

    Raises :class:`InvalidInput` (``certificate-not-printable``) for a page the renderer
    refuses — a name the font cannot print exactly, a scope too long for one page — rather
    than print it wrong; the credential and its verification page are unaffected.
    """
    view = certificate_view(
        tx, credential, base_url=base_url, now=now, language=language, bilingual=bilingual
    )
    shown = dataclasses.asdict(view)
    for image in ("logo_png", "accreditation_mark_png"):  # by digest: the key stays short
        if shown[image] is not None:
            shown[image] = hashlib.sha256(shown[image]).hexdigest()
    shows = _shows("certificate.pdf", LAYOUT_VERSION, shown)

    def render() -> bytes:
        try:
            return _render_pdf(view)
        except ValueError as exc:
            raise InvalidInput(
                f"this certificate cannot be printed: {exc}", kind="certificate-not-printable"
            ) from exc

    return _cached(tx, credential, "certificate.pdf", shows, render, now)


def qr_code(
    tx: Tx, credential: Credential, fmt: QrFormat, *, base_url: str, now: datetime
) -> bytes:
    """The QR code of ``credential``'s verification URL, as SVG or PNG.

    The code holds only the address of the verification page, which always tells the current
    status; so it is the same before and after any decision, and changes only with the
    address (a new base URL).
    """
    url = qr.verification_url(base_url, credential.id)
    drawn = (qr.ERROR_LEVEL, qr.MASK, qr.QUIET_ZONE, qr.SVG_MODULE_MM)
    shows = _shows(fmt, drawn, url)
    render = (lambda: qr.qr_svg(url)) if fmt == "qr.svg" else (lambda: qr.qr_png(url))
    return _cached(tx, credential, fmt, shows, render, now)
