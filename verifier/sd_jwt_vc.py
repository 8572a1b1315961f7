"""SD-JWT VCs (``dc+sd-jwt``) and their key-bound presentations, verified failing closed.

The steps, in this order (an untrusted issuer never makes us fetch anything):

1. size (the policy's ``max_token_bytes``) and shape: ``schemas.sd_jwt.split``, then the
   issuer-signed JWT parsed strictly, its ``alg`` in the policy's allow-list;
2. header ``typ`` ``dc+sd-jwt`` (the legacy ``vc+sd-jwt`` of wallets built on older drafts
   too) — a JWT of another kind is not an SD-JWT VC;
3. ``iss`` trusted by the policy: a DID as named, or an HTTPS ``iss`` whose did:web the
   policy trusts (the same body publishes both, STANDARDS §11.6);
4. the issuer's key by ``kid`` (:mod:`verifier.jwt_vc_issuer`: JWT VC Issuer Metadata for an
   HTTPS ``iss``, did:web for a DID; without ``kid`` only an issuer with a single key), and
   the signature;
5. the claims rebuilt with ``schemas.sd_jwt.process`` (every rejection of RFC 9901 §7.1),
   refusing a disclosure of ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct`` or ``status`` (SD-JWT
   VC §2.2.2: never selectively disclosable); ``vct`` present;
6. ``iat``, ``nbf`` and ``exp`` with the policy's leeway;
7. for a presentation, key binding (:mod:`verifier.key_binding`);
8. the Token Status List entry, if any (:mod:`verifier.token_status`).

:meth:`SdJwtVcVerifier.check` and :func:`verify_sd_jwt_vc` / :func:`verify_sd_jwt_presentation`
answer an :class:`SdJwtVcResult`: the verifier's verdict, problem details and checks, plus
which claims the holder disclosed (paths and values) and which the issuer shows to all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from schemas import sd_jwt
from schemas.sd_jwt import ClaimPath, SdJwt, SdJwtError
from verifier import jws
from verifier.core import CHECK_ISSUER, CHECK_SIGNATURE, CHECK_STATUS, CHECK_VALIDITY
from verifier.did_web import did_web_for_url
from verifier.errors import (
    CryptographicSecurityError,
    Expired,
    MalformedValueError,
    NotYetValid,
    ParsingError,
    UntrustedIssuer,
    Verdict,
    VerificationError,
)
from verifier.fetch import HttpFetcher
from verifier.jwt_vc_issuer import IssuerMetadataKeys
from verifier.key_binding import DEFAULT_MAX_AGE, check_key_binding
from verifier.keys import HttpKeys, IssuerKeys, KeySource, PreparedKey
from verifier.memo import TextMemo
from verifier.policy import TrustPolicy
from verifier.replay import SeenLists
from verifier.result import Report, verification_result
from verifier.token_status import (
    HttpTokenStatusLists,
    TokenStatusChecker,
    TokenStatusSource,
    status_reference,
)

__all__ = [
    "CHECK_DISCLOSURES",
    "CHECK_KEY_BINDING",
    "SD_JWT_VC_TYPES",
    "DisclosedClaim",
    "SdJwtVcResult",
    "SdJwtVcVerifier",
    "always_visible_paths",
    "disclose",
    "http_sd_jwt_verifier",
    "issuer_signature",
    "read_sd_jwt",
    "verify_sd_jwt_presentation",
    "verify_sd_jwt_vc",
]

SD_JWT_VC_TYPES = frozenset({"dc+sd-jwt", "application/dc+sd-jwt", "vc+sd-jwt"})
"""``dc+sd-jwt`` (SD-JWT VC -06 on), and ``vc+sd-jwt``, which wallets wrote before. The W3C
``vc+sd-jwt`` of VC-JOSE-COSE shares the name but not the payload: without ``vct`` it is
refused at step 5, never read as an SD-JWT VC."""
NEVER_DISCLOSED = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
CHECK_DISCLOSURES = "selective-disclosure"
CHECK_KEY_BINDING = "key-binding"

_PARSING = frozenset({"not-sd-jwt", "malformed-disclosure", "too-many-disclosures"})
"""``schemas.sd_jwt`` reasons that mean the text is not an SD-JWT we can read; an
unreferenced disclosure is one the issuer did not sign (a CRYPTOGRAPHIC_SECURITY_ERROR);
every other reason is a payload that breaks RFC 9901's rules (MALFORMED_VALUE_ERROR)."""


@dataclass(frozen=True, slots=True)
class DisclosedClaim:
    """A claim the holder chose to disclose: where it stands and its (processed) value."""

    path: ClaimPath
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "value": self.value}


@dataclass(slots=True)
class _Progress:
    """What is known so far; a refused check still says whose credential it is."""

    issuer: str | None = None
    claims: dict[str, Any] | None = None
    vct: str | None = None
    disclosed: tuple[DisclosedClaim, ...] = ()
    always_visible: tuple[ClaimPath, ...] = ()
    key_bound: bool = False
    checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SdJwtVcResult:
    """The answer for an SD-JWT VC or presentation: :class:`~verifier.result.Report`'s
    verdict, problems and checks, plus what the holder disclosed. Never raises."""

    report: Report
    vct: str | None = None
    disclosed: tuple[DisclosedClaim, ...] = ()
    always_visible: tuple[ClaimPath, ...] = ()
    key_bound: bool = False

    @property
    def verdict(self) -> Verdict:
        return self.report.verdict

    @property
    def verified(self) -> bool:
        return self.report.verified

    @property
    def claims(self) -> dict[str, Any] | None:
        """The processed claims once the issuer's signature held (also when revoked)."""
        return self.report.credential

    @property
    def error(self) -> VerificationError | None:
        return self.report.error

    def as_json(
        self, *, warnings: tuple[str, ...] | None = None, with_credential: bool = True
    ) -> dict[str, Any]:
        """The verification result every surface answers with, plus ``vct``,
        ``disclosedClaims``, ``alwaysVisibleClaims`` and ``keyBound`` (the disclosed values
        are left out with the credential when the caller asks not to have it back)."""
        result = verification_result(
            self.report, warnings=warnings, with_credential=with_credential
        )
        result["vct"] = self.vct
        result["disclosedClaims"] = [
            claim.as_json() if with_credential else {"path": list(claim.path)}
            for claim in self.disclosed
        ]
        result["alwaysVisibleClaims"] = [list(path) for path in self.always_visible]
        result["keyBound"] = self.key_bound
        return result


def read_sd_jwt(text: object, policy: TrustPolicy) -> tuple[SdJwt, jws.CompactJws]:
    """Step 1: the SD-JWT split and its issuer-signed JWT parsed (signature not checked)."""
    if not isinstance(text, str):
        raise ParsingError("an SD-JWT is a string", reason="malformed")
    text = text.strip()
    if len(text) > policy.max_token_bytes:
        raise ParsingError(f"the SD-JWT exceeds {policy.max_token_bytes} bytes", reason="too-large")
    try:
        parts = sd_jwt.split(text)
    except SdJwtError as exc:
        raise ParsingError(str(exc), reason=exc.reason) from exc
    parsed = jws.parse_compact(
        parts.issuer_jwt,
        max_bytes=policy.max_token_bytes,
        algorithms=policy.algorithms,
        require_kid=False,
    )
    return parts, parsed


def check_media_type(header: Mapping[str, Any]) -> None:
    """Step 2: ``typ`` ``dc+sd-jwt`` (or the legacy ``vc+sd-jwt``)."""
    typ = header.get("typ")
    if not isinstance(typ, str) or typ not in SD_JWT_VC_TYPES:
        raise CryptographicSecurityError("an SD-JWT VC is typed dc+sd-jwt", reason="media-type")


def trusted(policy: TrustPolicy, issuer: str) -> bool:
    """Step 3: the policy names the issuer, or the did:web of its HTTPS ``iss`` — or of a
    plain-HTTP ``iss`` on a host the policy lets be reached over HTTP (a local test)."""
    if policy.trusts(issuer):
        return True
    if issuer.startswith("http://"):
        try:
            host = urlsplit(issuer).hostname or ""
        except ValueError:
            return False
        if not policy.allows_http(host):
            return False
    elif not issuer.startswith("https://"):
        return False
    try:
        return policy.trusts(_did_webs(issuer))
    except ValueError:
        return False


_did_webs = TextMemo(did_web_for_url, max_entries=256, max_length=256)
"""The did:web of each issuer URL met: one issuer's credentials all name the same few, and
parsing a URL costs more than the rest of the trust check."""


def issuer_signature(parsed: jws.CompactJws, keys: IssuerKeys) -> None:
    """Step 4's signature: by the key ``kid`` names among the issuer's, or by its only key."""
    prepared: PreparedKey
    if "kid" in parsed.header:
        prepared = keys.key_for(parsed.kid)
    else:
        distinct = {id(key): key for key in keys.keys.values()}
        if len(distinct) != 1:
            raise CryptographicSecurityError(
                "the SD-JWT names no kid and its issuer has several keys", reason="no-kid"
            )
        prepared = next(iter(distinct.values()))
    jws.verify_with_key(parsed, prepared.key, key_alg=prepared.alg)


def disclose(
    payload: Mapping[str, Any],
    disclosures: tuple[str, ...],
    *,
    in_clear: list[ClaimPath] | None = None,
) -> tuple[dict[str, Any], tuple[DisclosedClaim, ...]]:
    """Step 5: the processed claims and what the disclosures put into them; ``in_clear``,
    when given, receives :func:`always_visible_paths` from the same walk."""
    found: list[tuple[ClaimPath, Any]] = []
    try:
        # Disclosures are read strictly (orjson, in schemas.sd_jwt): NaN, infinities, lone
        # surrogates and integers beyond 64 bits are refused there, so every answer can carry
        # the claims as JSON (RFC 7493 I-JSON); their depth is held to the signed payload's
        # limit by the processing walk itself.
        claims = sd_jwt.process(
            payload, disclosures, disclosed=found, in_clear=in_clear, max_depth=jws.MAX_DEPTH
        )
    except SdJwtError as exc:
        if exc.reason == "too-deep":
            raise ParsingError("a disclosure is not I-JSON", reason="malformed-disclosure") from exc
        if exc.reason in _PARSING:
            raise ParsingError(str(exc), reason=exc.reason) from exc
        if exc.reason == "unreferenced-disclosure":
            raise CryptographicSecurityError(
                "a disclosure is not covered by the issuer's signature (tampered or foreign)",
                reason=exc.reason,
            ) from exc
        raise MalformedValueError(str(exc), reason=exc.reason) from exc
    except RecursionError as exc:  # not expected under the depth limit; refused all the same
        raise ParsingError("a disclosure is not I-JSON", reason="malformed-disclosure") from exc
    disclosed = tuple([DisclosedClaim(path, value) for path, value in found])
    reserved = [path[0] for path, _ in found if len(path) == 1 and path[0] in NEVER_DISCLOSED]
    if reserved:
        raise MalformedValueError(
            f"{min(map(str, reserved))} must not be selectively disclosable (SD-JWT VC §2.2.2)",
            reason="disclosed-reserved-claim",
        )
    return claims, disclosed


def always_visible_paths(payload: Mapping[str, Any]) -> tuple[ClaimPath, ...]:
    """The claims the issuer signed in clear (objects' members, at every depth reached
    through clear members), ``_sd`` and ``_sd_alg`` aside: what every verifier sees.
    (:func:`disclose` gathers the same while it processes the claims.)"""
    paths: list[ClaimPath] = []

    def walk(node: Mapping[str, Any], path: ClaimPath) -> None:
        for name, value in node.items():
            if name in ("_sd", "_sd_alg"):
                continue
            paths.append((*path, name))
            if isinstance(value, dict):  # the payload is parsed JSON
                walk(value, (*path, name))

    walk(payload, ())
    return tuple(paths)


def _numeric(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedValueError(f"{name} is a NumericDate", reason=name)
    return float(value)


def check_validity(claims: Mapping[str, Any], policy: TrustPolicy, now: datetime) -> None:
    """Step 6: ``iat`` not in the future, ``nbf`` reached, ``exp`` not passed (leeway)."""
    stamp, leeway = now.timestamp(), policy.leeway_seconds
    iat, nbf, exp = _numeric(claims, "iat"), _numeric(claims, "nbf"), _numeric(claims, "exp")
    if iat is not None and iat > stamp + leeway:
        raise NotYetValid("the credential is issued in the future (iat)", reason="iat")
    if nbf is not None and nbf > stamp + leeway:
        raise NotYetValid("the credential is not valid before its nbf", reason="nbf")
    if exp is not None and exp < stamp - leeway:
        raise Expired("the credential's exp has passed", reason="exp")


class SdJwtVcVerifier:
    """Verify SD-JWT VCs and presentations against a trust policy, keys and status lists."""

    def __init__(
        self,
        *,
        policy: TrustPolicy,
        keys: KeySource,
        status: TokenStatusSource,
        seen_lists: SeenLists | None = None,
    ) -> None:
        self.policy = policy
        self._keys = keys
        self.seen_lists = seen_lists or SeenLists()
        """The newest ``iat`` accepted per status list address (:mod:`verifier.replay`)."""
        self._status = TokenStatusChecker(status, policy=policy, seen_lists=self.seen_lists)

    def check(self, text: str, *, now: datetime) -> SdJwtVcResult:
        """An SD-JWT VC in issuance form (``…~``); a KB-JWT is refused: a key-bound
        presentation is checked with :meth:`check_presentation`, which knows its nonce."""
        return self._run(text, now, binding=None)

    def check_presentation(
        self,
        text: str,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        require_key_binding: bool = True,
        max_kb_age: timedelta = DEFAULT_MAX_AGE,
    ) -> SdJwtVcResult:
        """An SD-JWT VC presentation; key binding checked for ``nonce`` and ``audience``."""
        return self._run(text, now, binding=(nonce, audience, require_key_binding, max_kb_age))

    def _run(
        self, text: str, now: datetime, binding: tuple[str, str, bool, timedelta] | None
    ) -> SdJwtVcResult:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        progress = _Progress()
        try:
            self._verify(text, now, binding, progress)
        except VerificationError as exc:
            exc.credential = exc.credential or progress.claims
            report = Report(
                verdict=exc.verdict,
                checked_at=now,
                credential=progress.claims,
                issuer=progress.issuer,
                errors=(exc.problem(),),
                error=exc,
            )
        else:
            report = Report(
                verdict=Verdict.VALID,
                checked_at=now,
                credential=progress.claims,
                issuer=progress.issuer,
                checks=tuple(progress.checks),
                warnings=tuple(progress.warnings),
            )
        return SdJwtVcResult(
            report=report,
            vct=progress.vct,
            disclosed=progress.disclosed,
            always_visible=progress.always_visible,
            key_bound=progress.key_bound,
        )

    def _verify(
        self,
        text: str,
        now: datetime,
        binding: tuple[str, str, bool, timedelta] | None,
        progress: _Progress,
    ) -> None:
        policy = self.policy
        parts, parsed = read_sd_jwt(text, policy)
        check_media_type(parsed.header)
        if binding is None and parts.key_binding_jwt is not None:
            raise ParsingError(
                "an SD-JWT VC ends with '~'; a key-bound presentation is verified with the "
                "nonce and audience it answers",
                reason="unexpected-key-binding",
            )
        issuer = parsed.payload.get("iss")
        if not isinstance(issuer, str) or not issuer or len(issuer) > 2048:
            raise MalformedValueError("the SD-JWT VC names no issuer (iss)", reason="iss")
        if not trusted(policy, issuer):
            raise UntrustedIssuer(f"issuer {issuer[:100]} is not trusted by this verifier")
        progress.issuer = issuer
        keys = self._keys.issuer_keys(issuer, now=now)
        try:
            issuer_signature(parsed, keys)
        except CryptographicSecurityError as exc:
            if exc.reason != "unknown-key":
                raise
            keys = self._keys.refresh(issuer, now=now)  # a key rotated in since
            issuer_signature(parsed, keys)
        progress.checks += [CHECK_SIGNATURE, CHECK_ISSUER]
        in_clear: list[ClaimPath] = []
        claims, disclosed = disclose(parsed.payload, parts.disclosures, in_clear=in_clear)
        progress.claims, progress.disclosed = claims, disclosed
        progress.always_visible = tuple(in_clear)
        vct = claims.get("vct")
        if not isinstance(vct, str) or not vct:
            raise MalformedValueError("an SD-JWT VC names its type (vct)", reason="vct")
        progress.vct = vct
        progress.checks.append(CHECK_DISCLOSURES)
        check_validity(claims, policy, now)
        progress.checks.append(CHECK_VALIDITY)
        if binding is not None:
            nonce, audience, required, max_age = binding
            if parts.key_binding_jwt is not None or required:
                check_key_binding(
                    parts,
                    claims,
                    nonce=nonce,
                    audience=audience,
                    algorithms=policy.algorithms,
                    leeway_seconds=policy.leeway_seconds,
                    now=now,
                    max_age=max_age,
                )
                progress.key_bound = True
                progress.checks.append(CHECK_KEY_BINDING)
            else:
                progress.warnings.append(
                    "the presentation is not key-bound: whoever holds a copy could present it"
                )
        reference = status_reference(claims)
        if reference is None:
            progress.warnings.append("the credential has no status: it cannot be revoked")
            return
        self._status.check(reference, issuer_keys=keys, now=now)
        progress.checks.append(CHECK_STATUS)


def http_sd_jwt_verifier(
    policy: TrustPolicy,
    *,
    fetcher: HttpFetcher | None = None,
    seen_lists: SeenLists | None = None,
) -> SdJwtVcVerifier:
    """An SD-JWT VC verifier that fetches issuer metadata, keys and Status List Tokens over
    HTTPS with the policy's rules (:class:`~verifier.fetch.HttpFetcher`)."""
    fetcher = fetcher or HttpFetcher(policy)
    keys = IssuerMetadataKeys(policy, fetcher, HttpKeys(policy, fetcher))
    return SdJwtVcVerifier(
        policy=policy, keys=keys, status=HttpTokenStatusLists(fetcher), seen_lists=seen_lists
    )


def verify_sd_jwt_vc(text: str, *, verifier: SdJwtVcVerifier, now: datetime) -> SdJwtVcResult:
    """Verify an SD-JWT VC in issuance form; never raises for anything the input holds."""
    return verifier.check(text, now=now)


def verify_sd_jwt_presentation(
    text: str,
    *,
    verifier: SdJwtVcVerifier,
    nonce: str,
    audience: str,
    now: datetime,
    require_key_binding: bool = True,
    max_kb_age: timedelta = DEFAULT_MAX_AGE,
) -> SdJwtVcResult:
    """Verify an SD-JWT VC presentation (SD-JWT+KB) answering ``nonce`` for ``audience``."""
    return verifier.check_presentation(
        text,
        nonce=nonce,
        audience=audience,
        now=now,
        require_key_binding=require_key_binding,
        max_kb_age=max_kb_age,
    )
