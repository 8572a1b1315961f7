"""The verifier: one ``vc+jwt`` in, a verified credential or one typed error out.

(An Open Badge may instead come in Open Badges 3.0's own VC-JWT form, ``typ: JWT`` or none,
with JWT claims that repeat its members: :mod:`verifier.openbadges`.)

Order matters, for safety and for speed. The token is size-capped and parsed strictly; the
algorithm is checked against the policy's allow-list before anything else; the issuer is
read from the payload and checked against the trust policy *before* any key is fetched (an
untrusted credential must not make the verifier fetch attacker-chosen URLs); the signature is
checked with a prepared key from the issuer's assertion keys; only then is the payload
examined as a VC 2.0 document, against its JSON Schema where we know it, against its
validity window, and finally against every status entry. If a status list cannot be fetched
or trusted, the answer is "cannot confirm" — never "valid" (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas import credential_schemas
from verifier import jws, openbadges
from verifier.errors import (
    CryptographicSecurityError,
    Expired,
    MalformedValueError,
    NotYetValid,
    ParsingError,
    Revoked,
    StatusVerificationError,
    Superseded,
    Suspended,
    UntrustedIssuer,
    Verdict,
    VerificationError,
)
from verifier.fetch import TtlCache
from verifier.keys import KeySource
from verifier.memo import TextMemo
from verifier.policy import TrustPolicy
from verifier.replay import SeenLists
from verifier.result import Report
from verifier.status import (
    Messages,
    StatusSource,
    VerifiedStatusList,
    cache_seconds,
    entry_fields,
    meaning,
    verify_status_list,
)
from verifier.structure import check_credential, issuer_id
from verifier.supersession import SupersessionSource
from verifier.timestamps import instant

__all__ = ["VerifiedCredential", "Verifier"]

VC_JWT_TYPES = frozenset({"vc+jwt", "application/vc+jwt"})
VC_CONTENT_TYPES = frozenset({"vc", "application/vc"})

CHECK_SIGNATURE = "signature"
CHECK_ISSUER = "trusted-issuer"
CHECK_STRUCTURE = "vc-data-model-2.0"
CHECK_SCHEMA = "credential-schema"
CHECK_VALIDITY = "validity-period"
CHECK_STATUS = "credential-status"
_CHECKED = (CHECK_SIGNATURE, CHECK_ISSUER, CHECK_STRUCTURE, CHECK_VALIDITY)
_CHECKED_WITH_SCHEMA = (
    CHECK_SIGNATURE,
    CHECK_ISSUER,
    CHECK_STRUCTURE,
    CHECK_SCHEMA,
    CHECK_VALIDITY,
)


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A credential whose every check passed, and what was checked."""

    credential: dict[str, Any]
    header: dict[str, Any]
    issuer: str
    kid: str
    checks: tuple[str, ...]
    warnings: tuple[str, ...] = ()


class Verifier:
    """Verify ``vc+jwt`` credentials against a trust policy, keys and status lists."""

    def __init__(
        self,
        *,
        policy: TrustPolicy,
        keys: KeySource,
        status: StatusSource,
        supersession: SupersessionSource | None = None,
        seen_lists: SeenLists | None = None,
    ) -> None:
        self.policy = policy
        self._keys = keys
        self._status = status
        self._supersession = supersession
        self._lists: TtlCache[VerifiedStatusList] = TtlCache(max_items=1024)
        self.seen_lists = seen_lists or SeenLists()
        """The newest ``validFrom`` accepted per status list URL: an older list fetched
        later is refused as a replay (:mod:`verifier.replay`)."""

    def check(self, token: str, *, now: datetime) -> Report:
        """:meth:`verify`, with the outcome as a :class:`Report` instead of an exception."""
        try:
            verified = self.verify(token, now=now)
        except VerificationError as exc:
            return Report.refused(exc, now=now)
        return Report(
            verdict=Verdict.VALID,
            checked_at=now,
            credential=verified.credential,
            issuer=verified.issuer,
            checks=verified.checks,
            warnings=verified.warnings,
        )

    def verify(self, token: str, *, now: datetime) -> VerifiedCredential:
        """The verified credential, or one :class:`~verifier.errors.VerificationError`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not isinstance(token, str):
            raise ParsingError("a vc+jwt credential is a string", reason="malformed")
        token = token.strip()
        policy = self.policy
        if len(token) > policy.max_token_bytes:
            raise ParsingError(
                f"the token exceeds {policy.max_token_bytes} bytes", reason="too-large"
            )
        parsed = jws.parse_compact(
            token, max_bytes=policy.max_token_bytes, algorithms=policy.algorithms
        )
        header = parsed.header
        payload = parsed.payload
        typ = header.get("typ")
        open_badge = not isinstance(typ, str) or typ not in VC_JWT_TYPES
        if open_badge:  # typ JWT or none: OB 3.0's own VC-JWT form, for an Open Badge only
            openbadges.check_header(header, payload)
        else:
            cty = header.get("cty", "vc")
            if not isinstance(cty, str) or cty not in VC_CONTENT_TYPES:
                raise CryptographicSecurityError("the JWS cty must be vc", reason="media-type")
        issuer = issuer_id(payload)
        if not policy.trusts(issuer):
            raise UntrustedIssuer(f"issuer {issuer[:100]} is not trusted by this verifier")
        try:
            prepared = self._keys.issuer_keys(issuer, now=now).key_for(parsed.kid)
        except CryptographicSecurityError as exc:
            if exc.reason != "unknown-key":
                raise
            # A key rotated in after the cached document: look once more, uncached.
            prepared = self._keys.refresh(issuer, now=now).key_for(parsed.kid)
        jws.verify_with_key(parsed, prepared.key, key_alg=prepared.alg)
        warnings = check_credential(payload)
        if open_badge:
            openbadges.check_claims(payload)
        if _check_schema(payload, warnings):
            checks: tuple[str, ...] = _CHECKED_WITH_SCHEMA
        else:
            checks = _CHECKED
        self._check_validity(payload, now)
        try:
            has_status = self._check_status(payload, now)
        except VerificationError as exc:
            # The signature held: whatever the status answer, say whose credential it is.
            exc.credential = exc.credential or payload
            raise
        if has_status:
            checks += (CHECK_STATUS,)
        else:
            warnings.append("the credential has no credentialStatus: it cannot be revoked")
        return VerifiedCredential(payload, header, issuer, parsed.kid, checks, tuple(warnings))

    def _check_validity(self, payload: dict[str, Any], now: datetime) -> None:
        leeway = self.policy.leeway_seconds
        stamp = now.timestamp()
        valid_from = _timestamp(payload, "validFrom")
        valid_until = _timestamp(payload, "validUntil")
        if valid_from is not None and valid_from > stamp + leeway:
            raise NotYetValid(f"valid from {payload['validFrom']}", credential=payload)
        if valid_until is not None and valid_until < stamp - leeway:
            raise Expired(f"valid until {payload['validUntil']}", credential=payload)
        nbf, exp = payload.get("nbf"), payload.get("exp")
        if isinstance(nbf, int | float) and nbf > stamp + leeway:
            raise NotYetValid("the JWT nbf is in the future", credential=payload)
        if isinstance(exp, int | float) and exp < stamp - leeway:
            raise Expired("the JWT exp has passed", credential=payload)

    def _check_status(self, payload: dict[str, Any], now: datetime) -> bool:
        entries = entry_fields(payload)
        minimum = self.policy.minimum_status_entries
        undecided: VerificationError | None = None
        suspended = False
        for purpose, index, url, size, messages in entries:
            try:
                status_list = self._list(url, now)
                value = status_list.value_at(purpose, index, size, minimum_entries=minimum)
                if purpose == "message":
                    said = _message_meaning(status_list, url, value, messages)
                    value, purpose = said != "valid", _PURPOSE_OF.get(said, purpose)
            except VerificationError as exc:
                if exc.decided:
                    raise
                undecided = undecided or exc
                continue
            if value and purpose == "revocation":
                raise self._revoked(payload, now)
            if value and purpose == "suspension":
                suspended = True
        if undecided is not None:
            raise undecided
        if suspended:
            raise Suspended("the issuer has suspended this credential", credential=payload)
        return bool(entries)

    def _revoked(self, payload: dict[str, Any], now: datetime) -> Revoked:
        """A set revocation bit: *superseded* when the issuer's public record names the
        credential that replaces this one (:mod:`verifier.supersession`), else *revoked*."""
        replaced = None
        if self._supersession is not None:
            try:
                replaced = self._supersession.superseded_by(payload, now=now)
            except VerificationError:
                replaced = None  # the refinement failed; the revocation stands
        if replaced:
            return Superseded(
                f"the issuer has replaced this credential with {replaced[:100]}",
                superseded_by=replaced,
                credential=payload,
            )
        return Revoked("the issuer has revoked this credential", credential=payload)

    def _list(self, url: str, now: datetime) -> VerifiedStatusList:
        cached = self._lists.get(url, now)
        if cached is not None:
            return cached
        fetched = self._status.status_list(url, now=now)
        verified = verify_status_list(
            fetched, url=url, policy=self.policy, keys=self._keys, now=now
        )
        self.seen_lists.check(url, verified.valid_from)  # once per fetch, not per credential
        self._lists.put(
            url, verified, now=now, seconds=cache_seconds(verified, fetched, self.policy, now)
        )
        return verified


_PURPOSE_OF = {"revoked": "revocation", "suspended": "suspension"}
"""A ``message`` entry's meaning as the purpose of the one-bit entry that would say it."""


def _message_meaning(
    status_list: VerifiedStatusList, url: str, value: int, messages: Messages | None
) -> str:
    """What a ``message`` entry's ``value`` means: ``valid``, ``revoked`` or ``suspended``.
    The entry's ``statusMessage`` and the list's must agree (the list's issuer and the
    credential's could otherwise mean two things by one value); a value whose message this
    verifier does not act on cannot confirm anything."""
    if status_list.messages is not None and status_list.messages != messages:
        raise StatusVerificationError(
            f"the entry's statusMessage and that of the list at {url[:100]} differ"
        )
    said = meaning(value, messages)
    if said is None:
        raise StatusVerificationError(
            f"status {value:#x} of the list at {url[:100]} has no meaning this verifier "
            "knows: the current status cannot be confirmed",
            reason="unknown-status-message",
        )
    return said


def _timestamp(payload: Mapping[str, Any], name: str) -> float | None:
    """Seconds since 1970 of a validity date (any year the grammar admits)."""
    value = payload.get(name)
    if value is None:
        return None
    try:
        return instant(value).timestamp()
    except ValueError as exc:
        raise MalformedValueError(f"{name} is not a dateTimeStamp", reason=name) from exc


def _check_schema(payload: Mapping[str, Any], warnings: list[str]) -> bool:
    """Validate against every ``credentialSchema`` we know; name the ones we don't."""
    schemas = payload.get("credentialSchema")
    if schemas is None:
        return False
    checked = False
    for schema in schemas if isinstance(schemas, list) else [schemas]:
        # ``type(…) is dict`` first: the abstract-class check runs Python code each time.
        mapping = type(schema) is dict or isinstance(schema, Mapping)
        schema_id = schema.get("id") if mapping else None
        name = _known_schema(schema_id)
        if name is None or schema.get("type") != "JsonSchema":
            warnings.append(f"credentialSchema {str(schema_id)[:100]} was not checked")
            continue
        if not credential_schemas.is_valid(name, payload):
            try:  # the reference validator names every violation
                credential_schemas.validate(name, payload)
            except credential_schemas.SchemaViolation as exc:
                raise MalformedValueError(
                    f"the credential breaks its schema {name}: {exc}", reason="schema"
                ) from exc
        checked = True
    return checked


def _known_schema(schema_id: object) -> str | None:
    if type(schema_id) is str:
        return _schema_names(schema_id)
    return _schema_name(schema_id)


def _schema_name(schema_id: object) -> str | None:
    if (
        not isinstance(schema_id, str)
        or not schema_id.endswith(".json")
        or "/schemas/" not in schema_id
    ):
        return None
    name = schema_id.rsplit("/", 1)[1].removesuffix(".json")
    return name if name in credential_schemas.SCHEMA_NAMES else None


_schema_names = TextMemo(_schema_name, max_entries=256, max_length=256)
"""One issuer's credentials all carry the same few ``credentialSchema`` ids."""
