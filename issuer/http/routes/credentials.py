"""Back office routes for signed things: credentials and their renderings, certification
marks, status list credentials and the signing keys."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from issuer.credentials import issuance, keys, message_status, renderings, status, token_status
from issuer.credentials.signing import Algorithm
from issuer.errors import InvalidInput, NotFound
from issuer.http.bodies.credentials import (
    CompromisedKeyOut,
    CredentialOut,
    KeyOut,
    MarkAgreementOut,
    MarkCreate,
    MarkOut,
    RotateBody,
)
from issuer.http.deps import Services, ServicesDep, allow
from issuer.http.roles import ADMIN, AUDIT, CASE_READERS, REGISTRY_CLERKS, SCHEME_EDITORS
from issuer.model import Credential, SigningKey
from issuer.process import compromise, lifecycle, marks
from issuer.process.auth import Actor
from issuer.store import Tx
from schemas.openapi import problem_responses
from schemas.publication import STATUS_LIST_MEDIA_TYPE

router = APIRouter()

Reader = Annotated[Actor, allow(*CASE_READERS)]
Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]
Editor = Annotated[Actor, allow(*SCHEME_EDITORS)]
Admin = Annotated[Actor, allow(*ADMIN)]
KeyReader = Annotated[Actor, allow(*(ADMIN | AUDIT))]

VC_JWT = "application/vc+jwt"
_PRIVATE = {"Cache-Control": "private, max-age=300"}
_CONFLICT = problem_responses(409)


def _credential(tx: Tx, credential_id: str) -> Credential:
    credential = tx.get_credential(credential_id) if len(credential_id) <= 64 else None
    if credential is None:
        raise NotFound(f"no credential {credential_id[:64]!r}")
    return credential


@router.get(
    "/credentials/{credential_id}",
    tags=["credentials"],
    response_class=Response,
    responses={200: {"content": {VC_JWT: {}}, "description": "the signed credential"}},
)
def get_credential(credential_id: str, actor: Reader, services: ServicesDep) -> Response:
    with services.tx() as tx:
        credential = _credential(tx, credential_id)
    return Response(credential.jws, media_type=VC_JWT, headers=_PRIVATE)


_RENDERED = {"Cache-Control": "private, no-cache"}
"""A rendering says what is true when it is fetched (a suspension puts a banner on the
certificate), so a browser asks again rather than showing the one it kept."""


def _rendered(
    services: Services, credential_id: str, render: Callable[[Tx, Credential], bytes]
) -> bytes:
    """A rendering as it must read now: from the cache when nothing it shows has changed,
    made (and cached) otherwise, never at issuance (:mod:`issuer.credentials.renderings`)."""
    with services.tx() as tx:
        return render(tx, _credential(tx, credential_id))


def _qr(services: Services, credential_id: str, fmt: renderings.QrFormat) -> bytes:
    return _rendered(
        services,
        credential_id,
        lambda tx, c: renderings.qr_code(
            tx, c, fmt, base_url=services.settings.base_url, now=services.now()
        ),
    )


@router.get("/credentials/{credential_id}/qr.svg", tags=["credentials"], response_class=Response)
def qr_svg(credential_id: str, actor: Reader, services: ServicesDep) -> Response:
    """QR code of the verification URL ``{base_url}/v/{credential_id}``, as SVG.

    The code holds only that address; the page behind it always shows the current status."""
    content = _qr(services, credential_id, "qr.svg")
    return Response(content, media_type="image/svg+xml", headers=_RENDERED)


@router.get("/credentials/{credential_id}/qr.png", tags=["credentials"], response_class=Response)
def qr_png(credential_id: str, actor: Reader, services: ServicesDep) -> Response:
    """QR code of the verification URL ``{base_url}/v/{credential_id}``, as PNG.

    The code holds only that address; the page behind it always shows the current status."""
    content = _qr(services, credential_id, "qr.png")
    return Response(content, media_type="image/png", headers=_RENDERED)


Lang = Annotated[
    str | None,
    Query(
        max_length=16,
        description=(
            "the language to print in (en, de, fr, es); by default the person's recorded "
            "language, else the body's"
        ),
    ),
]
Bilingual = Annotated[
    bool, Query(description="print English beneath each text of a page in another language")
]


def print_certificate(
    tx: Tx,
    credential: Credential,
    services: Services,
    lang: str | None,
    bilingual: bool,
) -> bytes:
    """The printable certificate in the language asked for, the person's or the body's."""
    settings = services.settings
    language = renderings.certificate_language(
        tx, credential, requested=lang, default=settings.language
    )
    return renderings.certificate_pdf(
        tx,
        credential,
        base_url=settings.base_url,
        now=services.now(),
        language=language,
        bilingual=bilingual,
    )


@router.get(
    "/credentials/{credential_id}/certificate.pdf",
    tags=["credentials"],
    response_class=Response,
    responses=problem_responses(422),
)
def certificate_pdf(
    credential_id: str,
    actor: Reader,
    services: ServicesDep,
    lang: Lang = None,
    bilingual: Bilingual = False,
) -> Response:
    """The printable certificate, with the QR code and how to verify it.

    It prints what the credential was signed with (its own dates and scope) and, when the
    certification was withdrawn, suspended or has expired, or the credential was superseded,
    says so in a banner and a watermark with the date. It is printed in ``lang``, else the
    person's recorded language, else the body's; ``bilingual`` adds English beneath."""
    content = _rendered(
        services,
        credential_id,
        lambda tx, c: print_certificate(tx, c, services, lang, bilingual),
    )
    return Response(content, media_type="application/pdf", headers=_RENDERED)


@router.put("/schemes/{scheme_id}/mark", status_code=201, tags=["marks"])
def set_mark(scheme_id: str, body: MarkCreate, actor: Editor, services: ServicesDep) -> MarkOut:
    try:
        image = base64.b64decode(body.image_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("image_base64 is not valid base64") from exc
    with services.tx() as tx:
        mark = marks.set_scheme_mark(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            scheme_id=scheme_id,
            media_type=body.media_type,
            image=image,
            rules=body.rules,
        )
    return MarkOut.of(mark)


@router.post(
    "/certifications/{number}/mark-agreement",
    status_code=201,
    tags=["marks"],
    responses=_CONFLICT,
)
def agree_to_mark(number: str, actor: Clerk, services: ServicesDep) -> MarkAgreementOut:
    """Record that the certified person agreed to the scheme's current mark rules."""
    with services.tx() as tx:
        agreement = marks.record_agreement(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            certification=lifecycle.get_certification(tx, number),
        )
    return MarkAgreementOut.of(agreement)


@router.post("/certifications/{number}/marks", status_code=201, tags=["marks"], responses=_CONFLICT)
def issue_mark(number: str, actor: Clerk, services: ServicesDep) -> CredentialOut:
    """Issue the mark credential; it shares the certification's status entries."""
    with services.tx() as tx:
        credential = issuance.issue_mark(
            tx,
            certification=lifecycle.get_certification(tx, number),
            context=services.issuance,
            actor=actor.audit_name,
            now=services.now(),
            entropy=services.entropy,
        )
        return CredentialOut.of(credential, status=status.credential_status(tx, credential))


@router.get(
    "/status-lists/{list_id}",
    tags=["status"],
    response_class=Response,
    responses={
        200: {
            "content": {VC_JWT: {}, STATUS_LIST_MEDIA_TYPE: {}},
            "description": "a Bitstring status list credential (revocation, suspension, or "
            "the message list Open Badges cite), or a Token Status List (statuslist+jwt)",
        },
        **problem_responses(404, said={404: "No list of any family has this id"}),
    },
)
def status_list(list_id: str, actor: Reader, services: ServicesDep) -> Response:
    """Any status list the body publishes, as the store says it is now, freshly signed:
    what a registrar looking up the list a credential, a badge or an SD-JWT VC names wants,
    whichever family it is of (list ids are random, never shared between families)."""
    signed = None
    if len(list_id) <= 64:
        with services.tx() as tx:
            signed = _signed_status_list(tx, list_id, services)
    if signed is None:
        raise NotFound(f"no status list {list_id[:64]!r}")
    media_type, jws = signed
    return Response(jws, media_type=media_type, headers=_PRIVATE)


def _signed_status_list(tx: Tx, list_id: str, services: Services) -> tuple[str, str] | None:
    """``(media type, compact JWS)`` of the list ``list_id`` in whichever family has it."""
    settings, now = services.settings, services.now()
    signer = services.issuance.keyring.signer(tx)
    for sign, media_type in (
        (status.sign_status_list, VC_JWT),
        (message_status.sign_message_status_list, VC_JWT),
        (token_status.sign_token_status_list, STATUS_LIST_MEDIA_TYPE),
    ):
        jws = sign(
            tx,
            list_id,
            identity=services.issuance.identity,
            signer=signer,
            now=now,
            ttl_seconds=settings.status_list_ttl_seconds,
            validity_seconds=settings.status_list_validity,
        )
        if jws is not None:
            return media_type, jws
    return None


@router.get("/keys", tags=["keys"])
def list_keys(actor: KeyReader, services: ServicesDep) -> list[KeyOut]:
    with services.tx() as tx:
        return [KeyOut.of(k) for k in tx.list_signing_keys()]


@router.post("/keys/rotate", status_code=201, tags=["keys"])
def rotate_key(body: RotateBody, actor: Admin, services: ServicesDep) -> KeyOut:
    alg = Algorithm(body.alg or services.settings.signing_alg)
    with services.tx() as tx:
        key = keys.rotate(
            tx,
            alg=alg,
            passphrase=services.settings.passphrase(),
            now=services.now(),
            actor=actor.audit_name,
        )
    return KeyOut.of(key)


@router.post("/keys/{kid}/retire", tags=["keys"], responses=_CONFLICT)
def retire_key(kid: str, actor: Admin, services: ServicesDep) -> KeyOut:
    with services.tx() as tx:
        key = keys.retire(
            tx,
            kid=kid[:64],
            passphrase=services.settings.passphrase(),
            now=services.now(),
            actor=actor.audit_name,
        )
    return KeyOut.of(key)


@router.post("/keys/{kid}/compromised", tags=["keys"])
def compromised_key(kid: str, actor: Admin, services: ServicesDep) -> CompromisedKeyOut:
    """Declare the key compromised: verifiers refuse everything it signed from the next
    publication on. If it was the signing key, a new key of its kind signs from now on. The
    keys (this one marked revoked) are queued for the public registry at once, with every
    status list, scheme and register entry signed again by the active key; the server then
    re-issues, under the active key, every valid certificate and mark the compromised key
    signed (suspended ones stay suspended), and queues a notice to each holder. Declaring a
    key compromised again changes nothing."""
    with services.tx() as tx:
        declared = compromise.declare(
            tx,
            kid=kid[:64],
            passphrase=services.settings.passphrase,
            now=services.now(),
            actor=actor.audit_name,
        )
    return CompromisedKeyOut.declared(declared)


def _published(services: Services) -> list[SigningKey]:
    with services.tx() as tx:
        return keys.published_keys(tx, now=services.now())


@router.get("/keys/did.json", tags=["keys"])
def did_document(actor: KeyReader, services: ServicesDep) -> dict[str, Any]:
    """The ``did:web`` document the registry publishes at ``/.well-known/did.json``."""
    return keys.did_document(services.issuance.identity, _published(services))


@router.get("/keys/jwks.json", tags=["keys"])
def jwks(actor: KeyReader, services: ServicesDep) -> dict[str, Any]:
    """The JWKS the registry publishes at ``/.well-known/jwks.json``."""
    return keys.jwks(_published(services))
