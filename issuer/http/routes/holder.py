"""A certified person's own pages (``/holder``): their certifications with status, each
with the printable certificate, its QR code and the signed credential to download, the
address to share and a LinkedIn "add to profile" link; their choice about the public
directory; an appeal against a decision about them.

These routes live on the back office app, never the registry: they read confidential
records. Every page needs the session (:mod:`issuer.http.routes.holder_session`); without
one it sends the browser to the sign-in page (:mod:`issuer.http.routes.holder_sign_in`).
Another person's certificate, credential or decision is 404, as an unknown one is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from issuer.credentials import renderings
from issuer.http.deps import ServicesDep
from issuer.http.routes.credentials import Bilingual, Lang, print_certificate
from issuer.http.routes.holder_pages import N_, PageLanguage, linkedin_url, page
from issuer.http.routes.holder_session import (
    FORM,
    PAGE,
    TO_SIGN_IN,
    Form,
    Holder,
    as_holder,
    html_errors,
)
from issuer.http.routes.holder_wallet import WALLET_KINDS
from issuer.model import (
    AppealedKind,
    Certification,
    CertificationStatus,
    CredentialKind,
    DecisionAbout,
)
from issuer.process import appeals, holders, openbadges
from issuer.store import Tx

__all__ = ["GROUNDS_MAX", "router"]

GROUNDS_MAX = 20_000

router = APIRouter(prefix="/holder", tags=["certified persons' own access"])

_STATUS_WORDS = {
    "active": N_("Valid"),
    "suspended": N_("Suspended: not valid until it is reinstated"),
    "withdrawn": N_("Withdrawn: no longer valid"),
    "expired": N_("Expired"),
}
_DECISION_WORDS = {
    "grant": N_("Certification granted"),
    "deny": N_("Certification refused"),
    "suspend": N_("Suspension"),
    "reinstate": N_("Reinstatement"),
    "withdraw": N_("Withdrawal"),
    "scope": N_("Change of scope"),
    "recertify": N_("Recertification"),
}
_APPEAL_WORDS = {
    "received": N_("received"),
    "acknowledged": N_("acknowledged"),
    "under-investigation": N_("under investigation"),
    "decided": N_("decided"),
    "communicated": N_("decided, and the outcome sent to you"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
}


# ── the person's pages ─────────────────────────────────────────────────────────────────
def _scheme_title(tx: Tx, certification: Certification) -> str:
    version = tx.get_scheme_version(certification.scheme_version_id)
    assert version is not None
    return version.content.title


@router.get("", response_class=Response, responses={**PAGE, **TO_SIGN_IN})
def home(request: Request, services: ServicesDep) -> Response:
    """The person's certifications with their status, their directory choice, their
    appeals."""

    def answer(tx: Tx, holder: Holder) -> Response:
        person = tx.get_person(holder.person_id)
        assert person is not None
        language = holder.language
        certifications = [
            {
                "number": c.certificate_number,
                "scheme": _scheme_title(tx, c),
                "status": language.gettext(_STATUS_WORDS[c.status.value]),
                "expiry": language.date(c.expiry_date),
            }
            for c in tx.certifications_of_person(holder.person_id)
        ]
        return page(
            "home",
            language=language,
            title=language.gettext("Your certifications"),
            name=f"{person.given_name} {person.family_name}",
            certifications=certifications,
            listed=person.directory_consent,
            appeals=[
                {
                    "received_on": language.date(a.received_on),
                    "state": language.gettext(_APPEAL_WORDS.get(a.state.value, a.state.value)),
                }
                for a in tx.appeals_of_person(holder.person_id)
            ],
            csrf=holder.csrf,
        )

    return as_holder(request, services, answer)


@router.get(
    "/certifications/{number}",
    response_class=Response,
    responses={**PAGE, **TO_SIGN_IN, **html_errors(404)},
)
def certification(number: str, request: Request, services: ServicesDep) -> Response:
    """One certification: its facts, the certificate to download or share."""
    settings = services.settings

    def answer(tx: Tx, holder: Holder) -> Response:
        found = holders.own_certification(tx, person_id=holder.person_id, number=number)
        current = [
            c
            for c in tx.credentials_of(found.id)
            if c.kind is CredentialKind.CERTIFICATE and c.superseded_by is None
        ]
        scheme = _scheme_title(tx, found)
        credential_id = current[-1].id if current else None
        share_url = f"{settings.base_url}/v/{credential_id}"
        language = holder.language
        return page(
            "certification",
            language=language,
            title=scheme,
            scheme=scheme,
            number=found.certificate_number,
            standing=language.gettext(_STATUS_WORDS[found.status.value]),
            effective=language.date(found.effective_date),
            expiry=language.date(found.expiry_date),
            scope=", ".join(found.scope),
            credential=None if credential_id is None else f"/holder/credentials/{credential_id}",
            share_url=share_url,
            linkedin_url=linkedin_url(
                found, scheme=scheme, body_name=settings.body_name, share_url=share_url
            ),
            wallet_offer=found.status is CertificationStatus.ACTIVE and credential_id is not None,
            wallet_kinds=[(value, language.gettext(words)) for value, words in WALLET_KINDS],
            csrf=holder.csrf,
            open_badges_url=(
                f"/holder/certifications/{found.certificate_number}/openbadge.jwt"
                if found.status in _BADGE_STANDINGS and credential_id is not None
                else None
            ),
        )

    return as_holder(request, services, answer)


_BADGE_STANDINGS = frozenset({CertificationStatus.ACTIVE, CertificationStatus.SUSPENDED})
"""The standings a badge is signed in: a withdrawn or expired certification gets none."""


@router.get(
    "/certifications/{number}/openbadge.jwt",
    response_class=Response,
    responses={
        200: {"content": {"application/vc+jwt": {}}, "description": "the badge, to download"},
        **TO_SIGN_IN,
        **html_errors(404, 409),
    },
)
def openbadge(number: str, request: Request, services: ServicesDep) -> Response:
    """The person's own certification as an Open Badges 3.0 file, signed now, for a badge
    wallet or backpack; it carries the certificate's status, so a suspension reaches it."""
    now = services.now()

    def answer(tx: Tx, holder: Holder) -> Response:
        found = holders.own_certification(tx, person_id=holder.person_id, number=number)
        badge = openbadges.openbadge_for(
            tx,
            found.certificate_number,
            context=services.issuance,
            actor=f"person:{holder.person_id}",
            now=now,
            entropy=services.entropy,
        )
        return Response(
            badge.jws,
            media_type="application/vc+jwt",
            headers={
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": (
                    f'attachment; filename="openbadge-{found.certificate_number}.jwt"'
                ),
            },
        )

    return as_holder(request, services, answer)


_DOWNLOADS: dict[str, tuple[str, str]] = {
    "certificate.pdf": ("application/pdf", "certificate-{number}.pdf"),
    "qr.svg": ("image/svg+xml", "qr-{number}.svg"),
    "qr.png": ("image/png", "qr-{number}.png"),
    "credential.jwt": ("application/vc+jwt", "credential-{number}.jwt"),
}


def _download(
    request: Request,
    services: ServicesDep,
    credential_id: str,
    what: str,
    lang: str | None = None,
    bilingual: bool = False,
) -> Response:
    media_type, filename = _DOWNLOADS[what]
    base_url, now = services.settings.base_url, services.now()

    def answer(tx: Tx, holder: Holder) -> Response:
        credential = holders.own_credential(
            tx, person_id=holder.person_id, credential_id=credential_id
        )
        certification = tx.get_certification(credential.certification_id)
        assert certification is not None
        if what == "credential.jwt":
            content = credential.jws.encode("ascii")
        elif what == "certificate.pdf":
            content = print_certificate(tx, credential, services, lang, bilingual)
        else:
            fmt: renderings.QrFormat = "qr.svg" if what == "qr.svg" else "qr.png"
            content = renderings.qr_code(tx, credential, fmt, base_url=base_url, now=now)
        name = filename.format(number=certification.certificate_number)
        return Response(
            content,
            media_type=media_type,
            headers={
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    return as_holder(request, services, answer)


def _download_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {}}, "description": "the file, to download"},
        **TO_SIGN_IN,
        **html_errors(404),
    }


@router.get(
    "/credentials/{credential_id}/certificate.pdf",
    response_class=Response,
    responses=_download_responses("application/pdf"),
)
def certificate_pdf(
    credential_id: str,
    request: Request,
    services: ServicesDep,
    lang: Lang = None,
    bilingual: Bilingual = False,
) -> Response:
    """The printable certificate, as staff print it: what is true now is on it, in ``lang``
    (en, de, fr, es), else the person's chosen language, else the body's; ``bilingual``
    adds English beneath each text."""
    return _download(request, services, credential_id, "certificate.pdf", lang, bilingual)


@router.get(
    "/credentials/{credential_id}/qr.svg",
    response_class=Response,
    responses=_download_responses("image/svg+xml"),
)
def qr_svg(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The QR code of the certificate's verification address, as SVG."""
    return _download(request, services, credential_id, "qr.svg")


@router.get(
    "/credentials/{credential_id}/qr.png",
    response_class=Response,
    responses=_download_responses("image/png"),
)
def qr_png(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The QR code of the certificate's verification address, as PNG."""
    return _download(request, services, credential_id, "qr.png")


@router.get(
    "/credentials/{credential_id}/credential.jwt",
    response_class=Response,
    responses=_download_responses("application/vc+jwt"),
)
def credential_file(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The signed credential (``application/vc+jwt``), for a wallet or a verifier."""
    return _download(request, services, credential_id, "credential.jwt")


@router.post(
    "/directory",
    response_class=Response,
    responses={**TO_SIGN_IN, **html_errors(403, 413, 422)},
    openapi_extra=FORM,
)
def directory(request: Request, form: Form, services: ServicesDep) -> Response:
    """The person's choice about the public directory (``listed=yes`` or ``no``), recorded
    and published at once."""

    def answer(tx: Tx, holder: Holder) -> Response:
        listed = form.get("listed")
        if listed in ("yes", "no"):
            holders.choose_directory(
                tx, person_id=holder.person_id, now=services.now(), listed=listed == "yes"
            )
        return RedirectResponse(holder.language.url("/holder") + "#directory", status_code=303)

    return as_holder(request, services, answer, form=form)


# ── appeals ────────────────────────────────────────────────────────────────────────────
def _decision_label(language: PageLanguage, decision: DecisionAbout) -> str:
    what = language.gettext(_DECISION_WORDS.get(decision.what, decision.what))
    on = language.date(decision.decided_at.date())
    if decision.certificate_number:
        return language.gettext(
            "%(decision)s, %(date)s, certificate %(number)s",
            decision=what,
            date=on,
            number=decision.certificate_number,
        )
    return language.gettext("%(decision)s, %(date)s", decision=what, date=on)


def _decision_options(
    language: PageLanguage, decisions: list[DecisionAbout]
) -> list[dict[str, str]]:
    return [
        {"value": f"{d.kind.value}:{d.id}", "label": _decision_label(language, d)}
        for d in decisions
    ]


def _appeal_form(
    tx: Tx,
    holder: Holder,
    *,
    chosen: str,
    grounds: str,
    errors: list[str],
    status: int = 200,
    here: str | None = None,
) -> Response:
    language = holder.language
    return page(
        "appeal",
        language=language if here is None else language.at(here),
        title=language.gettext("Make an appeal"),
        status=status,
        decisions=_decision_options(language, tx.decisions_about(holder.person_id)),
        chosen=chosen,
        grounds=grounds,
        errors=errors,
        csrf=holder.csrf,
        max_grounds=GROUNDS_MAX,
    )


@router.get("/appeals/new", response_class=Response, responses={**PAGE, **TO_SIGN_IN})
def new_appeal(
    request: Request,
    services: ServicesDep,
    certificate: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The appeal form: the decisions about the person, the latest chosen (of the
    certificate named, if one is)."""

    def answer(tx: Tx, holder: Holder) -> Response:
        decisions = tx.decisions_about(holder.person_id)
        named = [d for d in decisions if certificate and d.certificate_number == certificate]
        latest = (named or decisions)[-1:] or None
        chosen = "" if latest is None else f"{latest[0].kind.value}:{latest[0].id}"
        return _appeal_form(tx, holder, chosen=chosen, grounds="", errors=[])

    return as_holder(request, services, answer)


@router.post(
    "/appeals",
    response_class=Response,
    responses={**PAGE, **TO_SIGN_IN, **html_errors(403, 404, 413, 422)},
    openapi_extra=FORM,
)
def send_appeal(request: Request, form: Form, services: ServicesDep) -> Response:
    """Send an appeal against a decision about the person; staff handle it as any other."""
    settings = services.settings

    def answer(tx: Tx, holder: Holder) -> Response:
        language = holder.language
        chosen, grounds = form.get("decision", ""), form.get("grounds", "").strip()
        kind_value, _, decision_id = chosen.partition(":")
        errors = []
        if kind_value not in {k.value for k in AppealedKind} or not decision_id:
            errors.append(language.gettext("Choose the decision you appeal."))
        if not grounds or len(grounds) > GROUNDS_MAX or "\x00" in grounds:
            errors.append(
                language.gettext(
                    "Say why you disagree, in at most %(limit)s characters.",
                    limit=language.number(GROUNDS_MAX),
                )
            )
        if errors:
            return _appeal_form(
                tx,
                holder,
                chosen=chosen,
                grounds=grounds,
                errors=errors,
                status=422,
                here="/holder/appeals/new",
            )
        appeal = appeals.receive_from_person(
            tx,
            person_id=holder.person_id,
            now=services.now(),
            entropy=services.entropy,
            decision_kind=AppealedKind(kind_value),
            decision_id=decision_id[:64],
            grounds=grounds,
            acknowledge_days=settings.appeal_acknowledge_days,
            decide_days=settings.appeal_decide_days,
        )
        return page(
            "appeal_sent",
            language=language.at("/holder"),
            title=language.gettext("Appeal received"),
            received_on=language.date(appeal.received_on),
            acknowledge_by=language.date(appeal.acknowledge_by),
            decide_by=language.date(appeal.decide_by),
        )

    return as_holder(request, services, answer, form=form)
