"""Presentations: what an employer receives from a certified person, as a signed ``vp+jwt``.

A credential says what the issuer vouches for; a presentation says that the person who holds
it is the one showing it, now, to this verifier. A VC 2.0 presentation secured with JOSE
(VC-JOSE-COSE §3.1.2) is a JWS whose payload is the ``VerifiablePresentation`` itself, with
each credential inside as an ``EnvelopedVerifiableCredential`` (``data:application/vc+jwt,…``).
The verifier asked the holder for it with a *nonce* and an *audience* of its own choosing,
and the holder's signature covers them (the JWT claims ``nonce`` and ``aud``), so a
presentation copied from another exchange proves nothing here.

The order, fail closed, as for credentials (:mod:`verifier.core`): the size is capped and the
JWS parsed strictly; ``typ`` must be ``vp+jwt`` (``cty``, when present, ``vp``) and ``alg``
one of the policy's; the holder's key is found from the ``kid`` — a ``did:jwk`` (read from
the DID itself, nothing fetched), a DID URL of another method (resolved through
``holder_keys``, the holder's ``authentication`` keys, when the verifier was given such a
source; the registry's page is not, so it never fetches an address a presenter chose), or
a bare ``kid`` with a ``jwk`` header member; the signature is checked; the payload must be a
VC 2.0 presentation whose ``holder``, when present, is the signer's DID; then its ``nonce``
and ``aud`` must be the expected ones and its ``iat``/``nbf``/``exp`` hold within the
policy's clock skew. Only then is each credential verified, by the credential verifier
exactly as if presented alone (issuer trust, keys, dates, schema, status), at most
:attr:`PresentationLimits.max_credentials` of them.

**Holder binding.** A credential whose ``credentialSubject.id`` names the presenting holder
is *bound*. One whose subject id is a DID other than the holder's was issued to someone
else: it is refused (``holder-mismatch``, verdict invalid), whatever else holds. One with no
subject id, or an id that no key can control (a ``urn:uuid:``), is *unbound*: anyone with a
copy could present it, so the result says so in a warning, and a verifier that insists on
binding sets :attr:`PresentationLimits.require_holder_binding`. certreg's certificate
credentials name no holder DID today, so they arrive unbound and the employer compares the
name they state with the person in front of them.

Presentation-level problems raise one :class:`~verifier.errors.VerificationError` from
:meth:`PresentationVerifier.verify`; :meth:`PresentationVerifier.check` turns everything into
a :class:`PresentationReport` (the overall verdict, the holder, and one
:class:`~verifier.result.Report` per credential).
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verifier import jws
from verifier.core import Verifier
from verifier.did_jwk import did_jwk_for, did_jwk_key, is_did_jwk
from verifier.errors import (
    ChallengeMismatch,
    CryptographicSecurityError,
    HolderMismatch,
    KeyRetrievalError,
    MalformedValueError,
    ParsingError,
    PresentationExpired,
    Verdict,
    VerificationError,
)
from verifier.keys import KeySource
from verifier.presentation_result import (
    Binding,
    CredentialResult,
    PresentationReport,
    overall_verdict,
)
from verifier.requests import RequestProblem, unwrap_credential
from verifier.result import Report
from verifier.sd_jwt_vc import SdJwtVcVerifier

__all__ = [
    "Binding",
    "CredentialResult",
    "PresentationLimits",
    "PresentationReport",
    "PresentationVerifier",
    "VerifiedPresentation",
]

VP_JWT_TYPES = frozenset({"vp+jwt", "application/vp+jwt"})
VP_CONTENT_TYPES = frozenset({"vp", "application/vp"})
VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
PRESENTATION_TYPE = "VerifiablePresentation"

CHECK_SIGNATURE = "signature"
CHECK_HOLDER = "holder"
CHECK_STRUCTURE = "vc-data-model-2.0"
CHECK_CHALLENGE = "challenge"
CHECK_DOMAIN = "domain"
CHECK_VALIDITY = "validity-period"


@dataclass(frozen=True, slots=True)
class PresentationLimits:
    """What a presentation may hold, and how strictly it is bound."""

    max_credentials: int = 10
    """More credentials than anyone shows an employer at once; each costs a signature and
    status lookups, so the count is refused before any of them is checked."""
    max_bytes: int = 1024 * 1024
    """The whole compact JWS; each credential inside is capped again by the trust policy."""
    require_holder_binding: bool = False
    """Refuse a credential that names no holder (see the module's "Holder binding")."""

    def __post_init__(self) -> None:
        if self.max_credentials < 1 or self.max_bytes < 1:
            raise ValueError("max_credentials and max_bytes must be positive")


@dataclass(frozen=True, slots=True)
class VerifiedPresentation:
    """A presentation whose own checks passed; its credentials are not yet verified."""

    presentation: dict[str, Any]
    header: dict[str, Any]
    holder: str
    credentials: tuple[object, ...]
    checks: tuple[str, ...]
    warnings: tuple[str, ...] = ()


class PresentationVerifier:
    """Verify ``vp+jwt`` presentations, their credentials with ``credentials``; and carry
    the SD-JWT VC verifier ``sd_jwt`` for the presentations of that format."""

    def __init__(
        self,
        *,
        credentials: Verifier,
        holder_keys: KeySource | None = None,
        limits: PresentationLimits | None = None,
        sd_jwt: SdJwtVcVerifier | None = None,
    ) -> None:
        self.credentials = credentials
        self._holder_keys = holder_keys
        self.limits = limits or PresentationLimits()
        self.sd_jwt = sd_jwt
        """The verifier of SD-JWT VC presentations (:mod:`verifier.sd_jwt_presentation`);
        without one, :func:`verifier.presented.verify_presented` refuses them."""

    def check(
        self,
        token: str,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        unsafe_skip_challenge: bool = False,
    ) -> PresentationReport:
        """:meth:`verify` the presentation, then each credential: the whole answer."""
        checked = (None, None) if unsafe_skip_challenge else (nonce, audience)
        try:
            verified = self.verify(
                token,
                nonce=nonce,
                audience=audience,
                now=now,
                unsafe_skip_challenge=unsafe_skip_challenge,
            )
        except VerificationError as exc:
            return PresentationReport.refused(
                exc, now=now, presentation_format="vp+jwt", nonce=checked[0], audience=checked[1]
            )
        results = tuple(
            self._credential(entry, verified.holder, now) for entry in verified.credentials
        )
        warnings = list(verified.warnings)
        for number, result in enumerate(results, start=1):
            warnings.extend(f"credential {number}: {w}" for w in result.report.warnings)
        return PresentationReport(
            verdict=overall_verdict(results),
            checked_at=now,
            presentation_format="vp+jwt",
            nonce=checked[0],
            audience=checked[1],
            holder=verified.holder,
            checks=verified.checks,
            warnings=tuple(warnings),
            credentials=results,
        )

    def verify(
        self,
        token: str,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        unsafe_skip_challenge: bool = False,
    ) -> VerifiedPresentation:
        """The presentation, its own checks passed, or one typed error.

        ``unsafe_skip_challenge`` leaves ``nonce`` and ``aud`` unchecked: only for
        presentations made for no request (test suites); anyone could replay them.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not unsafe_skip_challenge and not (_usable(nonce) and _usable(audience)):
            raise ValueError("the expected nonce and audience are non-empty strings")
        if not isinstance(token, str):
            raise ParsingError("a vp+jwt presentation is a string", reason="malformed")
        token = token.strip()
        limit = self.limits.max_bytes
        if len(token) > limit:
            raise ParsingError(f"the presentation exceeds {limit} bytes", reason="too-large")
        policy = self.credentials.policy
        parsed = jws.parse_compact(token, max_bytes=limit, algorithms=policy.algorithms)
        header, payload = parsed.header, parsed.payload
        if header.get("typ") not in VP_JWT_TYPES:
            raise CryptographicSecurityError("the JWS typ must be vp+jwt", reason="media-type")
        if header.get("cty", "vp") not in VP_CONTENT_TYPES:
            raise CryptographicSecurityError("the JWS cty must be vp", reason="media-type")
        signer, key, key_alg = self._holder_key(parsed, now)
        jws.verify_with_key(parsed, key, key_alg=key_alg)
        holder = _holder(payload, signer)
        entries = _structure(payload, self.limits.max_credentials)
        checks = [CHECK_SIGNATURE, CHECK_HOLDER, CHECK_STRUCTURE]
        if not unsafe_skip_challenge:
            _challenge(payload, nonce, audience)
            checks += [CHECK_CHALLENGE, CHECK_DOMAIN]
        _dates(payload, now, policy.leeway_seconds)
        checks.append(CHECK_VALIDITY)
        warnings = []
        if "exp" not in payload:
            warnings.append("the presentation has no exp: only its nonce limits its reuse")
        return VerifiedPresentation(
            payload, header, holder, entries, tuple(checks), tuple(warnings)
        )

    def _holder_key(
        self, parsed: jws.CompactJws, now: datetime
    ) -> tuple[str, jws.PublicKey, object]:
        """The signer's DID, the key that must have signed, and that key's own ``alg``."""
        kid = parsed.kid
        if is_did_jwk(kid):
            did, jwk, key = did_jwk_key(kid)
            return did, key, jwk.get("alg")
        if kid.startswith("did:"):
            return self._resolved(kid.partition("#")[0], kid, now)
        header_jwk = parsed.header.get("jwk")
        if isinstance(header_jwk, Mapping):
            return did_jwk_for(header_jwk), jws.public_key(header_jwk), header_jwk.get("alg")
        holder = _holder_id(parsed.payload.get("holder"))
        if holder is None:
            raise CryptographicSecurityError(
                "the presentation's kid names no key of a DID and it names no holder",
                reason="holder-key",
            )
        return self._resolved(holder, kid, now)

    def _resolved(self, did: str, kid: str, now: datetime) -> tuple[str, jws.PublicKey, object]:
        if self._holder_keys is None:
            raise KeyRetrievalError(
                f"the holder's key {kid[:100]} would have to be fetched, which this verifier "
                "does not do: the holder can sign with a did:jwk key instead"
            )
        try:
            prepared = self._holder_keys.issuer_keys(did, now=now).key_for(kid)
        except CryptographicSecurityError as exc:
            if exc.reason != "unknown-key":
                raise
            prepared = self._holder_keys.refresh(did, now=now).key_for(kid)
        return did, prepared.key, prepared.alg

    def _credential(self, entry: object, holder: str, now: datetime) -> CredentialResult:
        try:
            token = unwrap_credential(entry)
        except RequestProblem as exc:
            refusal: VerificationError = ParsingError(exc.detail, reason="envelope")
            return CredentialResult(Report.refused(refusal, now=now), Binding.UNKNOWN)
        except VerificationError as exc:
            return CredentialResult(Report.refused(exc, now=now), Binding.UNKNOWN)
        report = self.credentials.check(token, now=now)
        if report.credential is None:
            return CredentialResult(report, Binding.UNKNOWN)
        binding = _binding(report.credential, holder)
        if binding is Binding.MISMATCH or (
            binding is Binding.UNBOUND and self.limits.require_holder_binding
        ):
            refusal = HolderMismatch(
                "the credential was issued to another holder than the one presenting it"
                if binding is Binding.MISMATCH
                else "the credential names no holder, and this verifier requires one",
                reason="not-bound-to-holder" if binding is Binding.MISMATCH else "unbound",
                credential=report.credential,
            )
            report = dataclasses.replace(
                report,
                verdict=Verdict.INVALID,
                errors=(refusal.problem(), *report.errors),
                error=refusal,
            )
        elif binding is Binding.UNBOUND:
            report = dataclasses.replace(
                report,
                warnings=(
                    *report.warnings,
                    "the credential names no holder, so anyone with a copy could present it: "
                    "check that the person is the one it names",
                ),
            )
        return CredentialResult(report, binding)


def _usable(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 1000


def _holder_id(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _holder(payload: Mapping[str, Any], signer: str) -> str:
    """The holder: the signer's DID, which ``holder`` and ``iss`` must name when present."""
    for name in ("holder", "iss"):
        if name in payload and _holder_id(payload[name]) != signer:
            raise HolderMismatch(
                f"the presentation's {name} is not the DID that signed it",
                reason="holder-not-signer",
            )
    return signer


def _structure(payload: Mapping[str, Any], max_credentials: int) -> tuple[object, ...]:
    """The credential entries of a conforming VC 2.0 presentation (VC Data Model §4.13)."""
    context = payload.get("@context")
    first = context[0] if isinstance(context, list) and context else None
    if first != VC_CONTEXT_V2:
        raise MalformedValueError(f"@context must start with {VC_CONTEXT_V2}", reason="context")
    types = payload.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or PRESENTATION_TYPE not in types:
        raise MalformedValueError("the type must include VerifiablePresentation", reason="type")
    if "vc" in payload or "vp" in payload:
        raise MalformedValueError("the claims vc and vp must not appear", reason="vc-vp-claims")
    value = payload.get("verifiableCredential")
    entries: object = [value] if isinstance(value, dict) else value
    if not isinstance(entries, list) or not entries:
        raise MalformedValueError("the presentation holds no credential", reason="no-credentials")
    if len(entries) > max_credentials:
        raise MalformedValueError(
            f"the presentation holds {len(entries)} credentials, more than {max_credentials}",
            reason="too-many-credentials",
        )
    return tuple(entries)


def _challenge(payload: Mapping[str, Any], nonce: str, audience: str) -> None:
    """The holder signed the verifier's nonce and named it as the audience (RFC 7519 ``aud``:
    one string, or a list holding it)."""
    given = payload.get("nonce")
    if given is None:
        raise ChallengeMismatch("the presentation carries no nonce", reason="nonce-missing")
    if not isinstance(given, str) or not hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), nonce.encode("utf-8", "surrogatepass")
    ):
        raise ChallengeMismatch(
            "the presentation's nonce is not the one asked for", reason="nonce-mismatch"
        )
    aud = payload.get("aud")
    if aud is None:
        raise ChallengeMismatch("the presentation names no audience", reason="audience-missing")
    named = aud if isinstance(aud, list) else [aud]
    if audience not in [a for a in named if isinstance(a, str)]:
        raise ChallengeMismatch(
            "the presentation was made for another audience", reason="audience-mismatch"
        )


def _dates(payload: Mapping[str, Any], now: datetime, leeway: int) -> None:
    stamp = now.timestamp()
    for name in ("iat", "nbf", "exp"):
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise MalformedValueError(f"the JWT {name} is not a NumericDate", reason=name)
        if name == "exp" and value < stamp - leeway:
            raise PresentationExpired("the presentation's exp has passed", reason="expired")
        if name != "exp" and value > stamp + leeway:
            raise PresentationExpired(
                f"the presentation's {name} is in the future", reason="not-yet-valid"
            )


def _binding(credential: Mapping[str, Any], holder: str) -> Binding:
    subjects = credential.get("credentialSubject")
    listed = subjects if isinstance(subjects, list) else [subjects]
    ids = [s.get("id") for s in listed if isinstance(s, Mapping)]
    named = [i for i in ids if isinstance(i, str)]
    if holder in named:
        return Binding.BOUND
    if any(i.startswith("did:") for i in named):
        return Binding.MISMATCH
    return Binding.UNBOUND
