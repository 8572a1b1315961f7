"""OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow): the endpoints a
wallet calls, and the registrar's route that makes an offer to hand over.

The credential issuer identifier is the deployment's base URL; this app is its own
authorization server. A wallet reads ``/.well-known/openid-credential-issuer`` and
``/.well-known/oauth-authorization-server``, fetches the offer from its URI, trades the
pre-authorized code and transaction code at ``/oid4vci/token``, gets a ``c_nonce`` at
``/oid4vci/nonce`` and its credential at ``/oid4vci/credential``. Those endpoints answer
errors as OAuth does (``{"error", "error_description"}``, :mod:`issuer.process.wallet_errors`)
and are never cached; the rules are in :mod:`issuer.process.wallet_offers`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from issuer.credentials.qr import qr_svg
from issuer.errors import NotFound
from issuer.http.bodies.wallet import CredentialOfferCreate
from issuer.http.client_limit import ClientLimit
from issuer.http.deps import Services, ServicesDep, allow
from issuer.http.roles import REGISTRY_CLERKS
from issuer.model import OfferedBy
from issuer.process import wallet_offers
from issuer.process.auth import Actor
from issuer.process.wallet_configurations import configurations, offered_configuration
from issuer.process.wallet_errors import WalletRefusal
from issuer.process.wallet_offers import OfferRules, WrongTxCode
from issuer.settings import Settings
from schemas.openapi import problem_responses

__all__ = [
    "MAX_REQUEST_BYTES",
    "QR_TITLE",
    "OfferMade",
    "api_router",
    "make_offer",
    "offer_rules",
    "router",
    "wallet_limit",
]

router = APIRouter(tags=["wallets (OpenID4VCI)"])
api_router = APIRouter(tags=["wallets (OpenID4VCI)"])

MAX_REQUEST_BYTES = 64 * 1024
"""A token or credential request is a few hundred bytes and one proof: 64 KiB is plenty."""
QR_TITLE = "QR code to add the certificate to a wallet"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]


def offer_rules(settings: Settings) -> OfferRules:
    return OfferRules(
        offer_minutes=settings.oid4vci_offer_minutes,
        tx_code_length=settings.oid4vci_tx_code_length,
        max_attempts=settings.oid4vci_tx_code_attempts,
        token_seconds=settings.oid4vci_token_seconds,
        nonce_seconds=settings.oid4vci_nonce_seconds,
        proof_max_age_seconds=settings.oid4vci_proof_max_age_seconds,
    )


def wallet_limit(services: Services) -> ClientLimit:
    """The rate limit of the wallet endpoints, one bucket per client address."""
    settings = services.settings
    return ClientLimit(
        per_minute=settings.oid4vci_per_minute,
        burst=settings.oid4vci_burst,
        clock=services.clock,
        trusted_proxies=settings.registry_trusted_proxies,
        refusal="too many requests from your address: please wait a little",
    )


def _throttle(request: Request) -> None:
    limit: ClientLimit = request.app.state.wallet_limit
    limit.check(request)


Throttled = Depends(_throttle)


def _refusal(refusal: WalletRefusal) -> JSONResponse:
    headers = dict(_NO_STORE)
    if refusal.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{refusal.error}"'
    return JSONResponse(
        {"error": refusal.error, "error_description": refusal.description},
        status_code=refusal.status,
        headers=headers,
    )


def _answer(services: Services, work: Callable[[Any], dict[str, Any]]) -> JSONResponse:
    """``work`` in one transaction, answered with ``no-store``; a refusal rolls it back
    and is answered in OAuth's form."""
    try:
        with services.tx() as tx:
            body = work(tx)
    except WalletRefusal as refusal:
        return _refusal(refusal)
    return JSONResponse(body, headers=_NO_STORE)


# ── metadata ───────────────────────────────────────────────────────────────────────────
def _endpoint(services: Services, path: str) -> str:
    return f"{services.settings.base_url}{path}"


@router.get("/.well-known/openid-credential-issuer")
def issuer_metadata(services: ServicesDep) -> JSONResponse:
    """Credential issuer metadata (OpenID4VCI 1.0 §12.2): the endpoints, the body's name,
    and each credential configuration a wallet may ask for."""
    base = services.settings.base_url
    table = configurations(services.issuance)
    return JSONResponse(
        {
            "credential_issuer": base,
            "credential_endpoint": _endpoint(services, "/oid4vci/credential"),
            "nonce_endpoint": _endpoint(services, "/oid4vci/nonce"),
            "display": [{"name": services.settings.body_name, "locale": "en"}],
            "credential_configurations_supported": {
                entry.id: dict(entry.metadata) for entry in table.values()
            },
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata(services: ServicesDep) -> JSONResponse:
    """Authorization server metadata (RFC 8414): the issuer is its own authorization server
    and grants only pre-authorized codes, to any wallet (no client authentication)."""
    return JSONResponse(
        {
            "issuer": services.settings.base_url,
            "token_endpoint": _endpoint(services, "/oid4vci/token"),
            "grant_types_supported": [wallet_offers.PRE_AUTHORIZED_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True,
            "token_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": [],
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


# ── the flow ───────────────────────────────────────────────────────────────────────────
@router.get("/oid4vci/offers/{token}", responses=problem_responses(404))
def credential_offer(token: str, services: ServicesDep) -> JSONResponse:
    """The credential offer a ``credential_offer_uri`` names (OpenID4VCI §4.1.3), while it
    can be redeemed; 404 for one unknown, redeemed, expired or locked. Not rate limited: its
    token is 256 random bits, and the code it gives is useless without the transaction
    code, which the token endpoint (rate limited, locking after a few tries) checks."""
    with services.tx() as tx:
        document = wallet_offers.offer_document(
            tx,
            token=token,
            credential_issuer=services.settings.base_url,
            now=services.now(),
            max_attempts=services.settings.oid4vci_tx_code_attempts,
        )
    if document is None:
        raise NotFound("this offer is unknown, was used, has expired or is locked")
    return JSONResponse(document, headers=_NO_STORE)


async def _form(request: Request) -> dict[str, str] | None:
    body = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if len(body) > MAX_REQUEST_BYTES or media != "application/x-www-form-urlencoded":
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=20, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return None
    if any(len(values) > 1 for values in fields.values()):
        return None  # RFC 6749 §3.2: parameters must not be repeated
    return {name: values[0] for name, values in fields.items()}


def _oauth_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Errors answered in OAuth's form (``application/json``), declared beside the problem
    form the app answers before routing (a NUL in the path, a body over the cap)."""
    out = problem_responses(*statuses)
    for response in out.values():
        response["content"]["application/json"] = {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                },
            }
        }
        response["description"] = "refused, in OAuth's form (RFC 6749 §5.2; OpenID4VCI §8.3.1)"
    return out


@router.post(
    "/oid4vci/token",
    dependencies=[Throttled],
    responses={**_oauth_errors(400), **problem_responses(413, 429)},
)
async def token(request: Request, services: ServicesDep) -> JSONResponse:
    """The token endpoint: a pre-authorized code and its ``tx_code`` for an access token.

    The body is a form (``application/x-www-form-urlencoded``): ``grant_type`` =
    ``urn:ietf:params:oauth:grant-type:pre-authorized_code``, ``pre-authorized_code``,
    ``tx_code``. Refusals are ``{"error", "error_description"}`` (docs/ERRORS.md)."""
    form = await _form(request)
    if form is None:
        return _refusal(
            WalletRefusal("invalid_request", "send a form (application/x-www-form-urlencoded)")
        )
    # The transactions run in the thread pool: on the event loop, a database write would
    # hold every other request of the server until it commits.
    return await run_in_threadpool(_redeem, services, form)


def _redeem(services: Services, form: dict[str, str]) -> JSONResponse:
    rules = offer_rules(services.settings)
    now = services.now()
    try:
        with services.tx() as tx:
            issued = wallet_offers.redeem(
                tx, form=form, rules=rules, now=now, entropy=services.entropy
            )
    except WrongTxCode as wrong:
        with services.tx() as tx:
            wallet_offers.count_wrong_tx_code(
                tx, offer_id=wrong.offer_id, now=now, max_attempts=rules.max_attempts
            )
        return _refusal(wrong)
    except WalletRefusal as refusal:
        return _refusal(refusal)
    return JSONResponse(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        },
        headers=_NO_STORE,
    )


@router.post("/oid4vci/nonce", dependencies=[Throttled], responses=problem_responses(429))
def nonce(services: ServicesDep) -> JSONResponse:
    """The nonce endpoint (OpenID4VCI §7): a fresh ``c_nonce`` for one key proof."""
    rules = offer_rules(services.settings)
    return _answer(
        services,
        lambda tx: {
            "c_nonce": wallet_offers.new_nonce(
                tx, rules=rules, now=services.now(), entropy=services.entropy
            )
        },
    )


@router.post(
    "/oid4vci/credential",
    dependencies=[Throttled],
    responses={**_oauth_errors(400, 401), **problem_responses(413, 429)},
)
async def credential(request: Request, services: ServicesDep) -> JSONResponse:
    """The credential endpoint (OpenID4VCI §8): with the access token and one key proof,
    the credential bound to the proof's key.

    The body is JSON: ``{"credential_configuration_id": …, "proofs": {"jwt": [proof]}}``;
    the answer ``{"credentials": [{"credential": …}]}``. Refusals are ``{"error",
    "error_description"}`` (docs/ERRORS.md)."""
    body = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parsed: object = None
    if len(body) <= MAX_REQUEST_BYTES and media == "application/json":
        try:
            parsed = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            parsed = None
    rules = offer_rules(services.settings)
    table = configurations(services.issuance)
    authorization = request.headers.get("authorization")
    # Signing and the write transaction run in the thread pool, off the event loop.
    return await run_in_threadpool(
        _answer,
        services,
        lambda tx: {
            "credentials": [
                {
                    "credential": wallet_offers.issue(
                        tx,
                        authorization=authorization,
                        request=parsed,
                        configurations=table,
                        credential_issuer=services.settings.base_url,
                        rules=rules,
                        now=services.now(),
                        entropy=services.entropy,
                    )
                }
            ]
        },
    )


# ── the registrar's offer ──────────────────────────────────────────────────────────────
class OfferMade(BaseModel):
    """An offer to hand to the certified person: shown once, never again."""

    credential_offer_uri: str = Field(description="where the wallet fetches the offer")
    deep_link: str = Field(
        description="openid-credential-offer://?credential_offer_uri=…, what the QR code holds"
    )
    qr_svg: str = Field(description="the QR code of deep_link, as an SVG document")
    tx_code: str = Field(description="the transaction code: give it separately from the QR")
    expires_at: str = Field(description="when the offer stops working (ISO 8601)")
    credential_configuration_id: str


def make_offer(
    services: Services,
    number: str,
    *,
    configuration_id: str | None,
    offered_by: OfferedBy,
    created_by: str | None,
    actor: Any,
) -> OfferMade:
    """Make an offer of certification ``number`` in one transaction, and what shows it:
    for ``configuration_id`` (the default one if ``None``; 422 for an unknown id)."""
    configuration = offered_configuration(configurations(services.issuance), configuration_id)
    with services.tx() as tx:
        made = wallet_offers.make_offer(
            tx,
            number=number[:64],
            configuration=configuration,
            rules=offer_rules(services.settings),
            now=services.now(),
            entropy=services.entropy,
            offered_by=offered_by,
            created_by=created_by,
            actor=actor,
        )
    base = services.settings.base_url
    link = made.deep_link(base)
    return OfferMade(
        credential_offer_uri=made.uri(base),
        deep_link=link,
        qr_svg=qr_svg(link, title=QR_TITLE).decode("utf-8"),
        tx_code=made.tx_code,
        expires_at=made.offer.expires_at.isoformat(),
        credential_configuration_id=made.offer.configuration_id,
    )


@api_router.post(
    "/certifications/{number}/credential-offers",
    status_code=201,
    responses=problem_responses(
        404,
        409,
        422,
        said={422: "The body is malformed, or names no credential configuration there is"},
    ),
)
def staff_offer(
    number: str,
    actor: Clerk,
    services: ServicesDep,
    response: Response,
    body: CredentialOfferCreate | None = None,
) -> OfferMade:
    """A registrar makes a wallet offer of an active certification, to hand to its holder:
    the offer's URI, its QR code and the transaction code, shown this once (audited as
    ``credential-offer.made``; only digests are kept).

    The optional body names what the wallet is to receive: ``credential_configuration_id``
    ``CertificationCredential_jwt_vc_json`` (the W3C certificate, the default) or
    ``CertificationCredential_dc_sd_jwt`` (an SD-JWT VC, what EU digital identity wallets
    read)."""
    made = make_offer(
        services,
        number,
        configuration_id=None if body is None else body.credential_configuration_id,
        offered_by=OfferedBy.STAFF,
        created_by=actor.staff(),
        actor=actor.audit_name,
    )
    response.headers.update(_NO_STORE)
    return made
