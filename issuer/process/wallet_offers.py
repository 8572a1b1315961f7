"""Offering a certificate to a wallet: OpenID4VCI 1.0, pre-authorized code flow.

An offer is made for one active certification, by its holder on their own page or by a
registrar, and is shown once: a ``credential_offer_uri`` (in a QR code and a link) and,
separately, a numeric transaction code. The wallet then

1. fetches the offer from the URI (:func:`offer_document`): the issuer, the configuration
   offered and the pre-authorized code, which is derived from the URI's secret so that
   nothing but digests is stored;
2. trades the code and the transaction code for an access token (:func:`redeem`): used by
   one conditional update, so a code works once; a wrong transaction code counts
   (:func:`count_wrong_tx_code`, in a transaction of its own so the count survives the
   refusal) and the offer is locked after ``max_attempts``;
3. asks for a ``c_nonce`` (:func:`new_nonce`);
4. sends a key proof with the token (:func:`issue`): the proof is checked
   (:mod:`issuer.process.key_proofs`), the nonce and the token are used, and the
   configuration's issue function signs the credential bound to the proof's key — all in
   the caller's transaction, so on any refusal nothing is used and nothing is signed.

Every secret is 256 random bits from ``entropy`` (the transaction code excepted: a few
digits), compared in constant time against its SHA-256 digest; codes expire in minutes.
No secret is written to the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from issuer.errors import IssuerError, StateConflict
from issuer.model import (
    CertificationStatus,
    CredentialOffer,
    OfferAccessToken,
    OfferedBy,
    ProofNonce,
)
from issuer.process.key_proofs import check_proof
from issuer.process.lifecycle import get_certification
from issuer.process.wallet_configurations import Configuration
from issuer.process.wallet_errors import WalletRefusal
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = [
    "OFFER_PATH",
    "PRE_AUTHORIZED_GRANT",
    "MadeOffer",
    "OfferRules",
    "TokenIssued",
    "WrongTxCode",
    "count_wrong_tx_code",
    "issue",
    "make_offer",
    "new_nonce",
    "offer_document",
    "offer_id_of_code",
    "redeem",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_PATH = "/oid4vci/offers/"
"""Where an offer's URI points, followed by its token: ``{base_url}/oid4vci/offers/{token}``."""

_SECRET_BYTES = 32
_TOKEN = re.compile(r"^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$")
_CODE_CONTEXT = b"certreg pre-authorized code"


@dataclass(frozen=True, slots=True)
class OfferRules:
    """The settings the flow runs by (``CERTREG_OID4VCI_*``)."""

    offer_minutes: int
    tx_code_length: int
    max_attempts: int
    token_seconds: int
    nonce_seconds: int
    proof_max_age_seconds: int


@dataclass(frozen=True, slots=True)
class MadeOffer:
    """An offer just made: its record, its URI token and its transaction code, shown once."""

    offer: CredentialOffer
    token: str
    tx_code: str

    def uri(self, base_url: str) -> str:
        """The ``credential_offer_uri``: where the wallet fetches the offer."""
        return f"{base_url}{OFFER_PATH}{self.token}"

    def deep_link(self, base_url: str) -> str:
        """The link a QR code carries (OpenID4VCI §4.1.3: by reference)."""
        return "openid-credential-offer://?credential_offer_uri=" + quote(
            self.uri(base_url), safe=""
        )


@dataclass(frozen=True, slots=True)
class TokenIssued:
    """A redeemed offer's access token (``{id}.{secret}``), shown once, and its lifetime."""

    access_token: str
    expires_in: int


def _secret(entropy: Entropy) -> str:
    return base64.urlsafe_b64encode(entropy(_SECRET_BYTES)).rstrip(b"=").decode()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    matched = _TOKEN.fullmatch(token) if len(token) <= 80 else None
    return None if matched is None else (matched.group(1), matched.group(2))


def _code_secret(uri_secret: str) -> str:
    """The pre-authorized code's secret, derived from the URI's: the offer can be served
    from its URI with no secret stored."""
    mac = hmac.new(uri_secret.encode("ascii"), _CODE_CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _tx_digest(code_secret: str, tx_code: str) -> str:
    """The transaction code's digest, keyed by the code: a store holds nothing from which
    a few digits could be found by trying them all."""
    key, message = code_secret.encode("ascii"), tx_code.encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _tx_code(entropy: Entropy, length: int) -> str:
    number = int.from_bytes(entropy(16), "big") % (10**length)
    return str(number).zfill(length)


def make_offer(
    tx: Tx,
    *,
    number: str,
    configuration: Configuration,
    rules: OfferRules,
    now: datetime,
    entropy: Entropy,
    offered_by: OfferedBy,
    created_by: str | None,
    actor: str | AuditActor,
) -> MadeOffer:
    """Make an offer of certification ``number`` in ``configuration`` (audited, without its
    secrets). Only an active certification is offered (``certification-not-active``)."""
    certification = get_certification(tx, number)
    if certification.status is not CertificationStatus.ACTIVE or (
        certification.expiry_date < now.date()
    ):
        raise StateConflict(
            f"the certification is {certification.status.value}: only a valid certificate "
            "is offered to a wallet",
            kind="certification-not-active",
        )
    secret = _secret(entropy)
    code_secret = _code_secret(secret)
    tx_code = _tx_code(entropy, rules.tx_code_length)
    offer = CredentialOffer(
        id=new_id(entropy),
        certification_id=certification.id,
        configuration_id=configuration.id,
        uri_digest=_digest(secret),
        code_digest=_digest(code_secret),
        tx_code_digest=_tx_digest(code_secret, tx_code),
        tx_code_length=rules.tx_code_length,
        offered_by=offered_by,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(minutes=rules.offer_minutes),
        redeemed_at=None,
        failed_attempts=0,
    )
    tx.insert_credential_offer(offer)
    tx.append_audit(
        at=now,
        actor=actor,
        action="credential-offer.made",
        subject_type="certification",
        subject_id=certification.id,
        details={
            "offer_id": offer.id,
            "configuration_id": configuration.id,
            "offered_by": offered_by.value,
            "expires_at": offer.expires_at.isoformat(),
        },
    )
    return MadeOffer(offer=offer, token=f"{offer.id}.{secret}", tx_code=tx_code)


def _live_offer(tx: Tx, offer_id: str, now: datetime, max_attempts: int) -> CredentialOffer | None:
    offer = tx.get_credential_offer(offer_id)
    if offer is None or offer.redeemed_at is not None or offer.expires_at <= now:
        return None
    return None if offer.failed_attempts >= max_attempts else offer


def offer_document(
    tx: Tx, *, token: str, credential_issuer: str, now: datetime, max_attempts: int
) -> dict[str, Any] | None:
    """The credential offer its URI serves (OpenID4VCI §4.1.1), or ``None`` for a token that
    is unknown, or an offer redeemed, expired or locked (the caller answers 404 alike)."""
    parts = _split(token)
    offer = None if parts is None else _live_offer(tx, parts[0], now, max_attempts)
    if parts is None or offer is None:
        return None
    if not hmac.compare_digest(offer.uri_digest, _digest(parts[1])):
        return None
    return {
        "credential_issuer": credential_issuer,
        "credential_configuration_ids": [offer.configuration_id],
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": f"{offer.id}.{_code_secret(parts[1])}",
                "tx_code": {
                    "input_mode": "numeric",
                    "length": offer.tx_code_length,
                    "description": "Enter the code shown beside the QR code (or given to "
                    "you with it by the certification body).",
                },
            }
        },
    }


def offer_id_of_code(code: str) -> str | None:
    """The offer a pre-authorized code names (for counting a wrong transaction code)."""
    parts = _split(code)
    return None if parts is None else parts[0]


class WrongTxCode(WalletRefusal):
    """A wrong transaction code for an offer: refused, and to be counted."""

    def __init__(self, offer_id: str) -> None:
        super().__init__("invalid_grant", "the transaction code is wrong")
        self.offer_id = offer_id


def redeem(
    tx: Tx,
    *,
    form: Mapping[str, str],
    rules: OfferRules,
    now: datetime,
    entropy: Entropy,
) -> TokenIssued:
    """The token endpoint: trade a pre-authorized code and its transaction code for an
    access token. Raises :class:`WalletRefusal`; a wrong transaction code raises its
    subclass :class:`WrongTxCode` (``invalid_grant``), which the caller counts in a
    transaction of its own, since this one is rolled back."""
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise WalletRefusal("invalid_request", "grant_type is required")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise WalletRefusal("unsupported_grant_type", f"only {PRE_AUTHORIZED_GRANT} is supported")
    code, tx_code = form.get("pre-authorized_code"), form.get("tx_code")
    if not code:
        raise WalletRefusal("invalid_request", "pre-authorized_code is required")
    if tx_code is None:
        raise WalletRefusal("invalid_request", "this offer requires its tx_code")
    refused = WalletRefusal(
        "invalid_grant", "the pre-authorized code is unknown, used, expired or locked"
    )
    parts = _split(code)
    offer = None if parts is None else _live_offer(tx, parts[0], now, rules.max_attempts)
    if parts is None or offer is None:
        raise refused
    if not hmac.compare_digest(offer.code_digest, _digest(parts[1])):
        raise refused
    if len(tx_code) > 20 or not hmac.compare_digest(
        offer.tx_code_digest, _tx_digest(parts[1], tx_code[:20])
    ):
        raise WrongTxCode(offer.id)
    if not tx.redeem_credential_offer(offer.id, now=now, max_attempts=rules.max_attempts):
        raise refused
    secret = _secret(entropy)
    token = OfferAccessToken(
        id=new_id(entropy),
        offer_id=offer.id,
        token_digest=_digest(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=rules.token_seconds),
        used_at=None,
    )
    tx.insert_offer_access_token(token)
    tx.append_audit(
        at=now,
        actor="system:wallet-issuance",
        action="credential-offer.redeemed",
        subject_type="certification",
        subject_id=offer.certification_id,
        details={"offer_id": offer.id, "token_id": token.id},
    )
    return TokenIssued(access_token=f"{token.id}.{secret}", expires_in=rules.token_seconds)


def count_wrong_tx_code(tx: Tx, *, offer_id: str, now: datetime, max_attempts: int) -> None:
    """Count one wrong transaction code; the attempt that reaches ``max_attempts`` locks the
    offer, and the audit log says so."""
    tx.count_wrong_tx_code(offer_id)
    offer = tx.get_credential_offer(offer_id)
    if offer is not None and offer.failed_attempts == max_attempts:
        tx.append_audit(
            at=now,
            actor="system:wallet-issuance",
            action="credential-offer.locked",
            subject_type="certification",
            subject_id=offer.certification_id,
            details={"offer_id": offer.id, "failed_attempts": offer.failed_attempts},
        )


def new_nonce(tx: Tx, *, rules: OfferRules, now: datetime, entropy: Entropy) -> str:
    """A fresh ``c_nonce``, stored by its digest until used or expired; nonces that expired
    a while ago are forgotten in the same transaction."""
    nonce = _secret(entropy)
    tx.insert_proof_nonce(
        ProofNonce(
            digest=_digest(nonce),
            created_at=now,
            expires_at=now + timedelta(seconds=rules.nonce_seconds),
            used_at=None,
        )
    )
    tx.forget_proof_nonces(before=now - timedelta(seconds=rules.nonce_seconds + 3600))
    return nonce


def _bearer(tx: Tx, authorization: str | None, now: datetime) -> OfferAccessToken:
    refused = WalletRefusal(
        "invalid_token", "the access token is missing, unknown, used or expired"
    )
    scheme, _, value = (authorization or "").partition(" ")
    parts = _split(value.strip()) if scheme.lower() == "bearer" else None
    token = None if parts is None else tx.get_offer_access_token(parts[0])
    if parts is None or token is None:
        raise refused
    if not hmac.compare_digest(token.token_digest, _digest(parts[1])):
        raise refused
    if token.used_at is not None or token.expires_at <= now:
        raise refused
    return token


def _proof_of(request: object) -> object:
    if not isinstance(request, dict):
        raise WalletRefusal("invalid_credential_request", "the request is not a JSON object")
    if "proof" in request or "credential_identifier" in request:
        raise WalletRefusal(
            "invalid_credential_request",
            "send credential_configuration_id and proofs (proof and credential_identifier "
            "are not supported)",
        )
    proofs = request.get("proofs")
    if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise WalletRefusal("invalid_credential_request", 'proofs must be {"jwt": [one proof]}')
    batch = proofs["jwt"]
    if not isinstance(batch, list) or len(batch) != 1:
        raise WalletRefusal("invalid_credential_request", "send exactly one jwt proof")
    return batch[0]


def issue(
    tx: Tx,
    *,
    authorization: str | None,
    request: object,
    configurations: Mapping[str, Configuration],
    credential_issuer: str,
    rules: OfferRules,
    now: datetime,
    entropy: Entropy,
) -> str:
    """The credential endpoint: the credential for a valid access token and key proof, or
    :class:`WalletRefusal`. Nothing is used or signed unless everything holds."""
    token = _bearer(tx, authorization, now)
    offer = tx.get_credential_offer(token.offer_id)
    assert offer is not None
    configuration_id = (
        request.get("credential_configuration_id") if isinstance(request, dict) else None
    )
    proof = _proof_of(request)
    if not isinstance(configuration_id, str):
        raise WalletRefusal("invalid_credential_request", "credential_configuration_id is required")
    configuration = configurations.get(configuration_id)
    if configuration is None:
        raise WalletRefusal("unknown_credential_configuration", "no such credential configuration")
    if configuration.id != offer.configuration_id:
        raise WalletRefusal(
            "invalid_credential_request", "the access token is for another credential configuration"
        )
    checked = check_proof(
        proof, audience=credential_issuer, now=now, max_age=rules.proof_max_age_seconds
    )
    if not tx.use_proof_nonce(_digest(checked.nonce), now=now):
        raise WalletRefusal(
            "invalid_nonce", "the c_nonce is unknown, used or expired: get a new one"
        )
    if not tx.use_offer_access_token(token.id, now=now):
        raise WalletRefusal("invalid_token", "the access token is used or expired")
    number = tx.certificate_number_of(offer.certification_id)
    assert number is not None
    try:
        return configuration.issue(tx, number, checked.holder_jwk, now, entropy)
    except IssuerError as exc:
        raise WalletRefusal("credential_request_denied", exc.detail[:200]) from exc
