"""SD-JWT VC verification in ``certreg bench``: what a verifier that holds the issuer's
keys and Token Status Lists spends on one certificate a wallet shows it.

Measured as the offline verification of the ``vc+jwt`` certificate is (:mod:`issuer.bench.run`):
keys and status in hand, so the figure is certreg's own work around one ES256 check —
splitting the SD-JWT, the issuer's signature, every disclosure hashed and put back, the
validity dates, the Token Status List entry (the list token verified once, then held as a
verifier caches it for its ``ttl``). Two forms:

- the SD-JWT VC as issued, with every disclosure: what a wallet sends a verifier it trusts
  with everything (the holder's own employer, say);
- a key-bound presentation of three claims (name and scheme), as a wallet answers a
  verifier's request: the same checks over fewer disclosures, plus the holder's Key Binding
  JWT — a second ES256 signature, so its ceiling is half the raw verify rate.

The SD-JWT VCs are issued by certreg's own issuance (:func:`issue_sd_jwt_vc`) into the
wallet phase's store, each to a holder key of its own, over the run's certifications.
"""

from __future__ import annotations

from dataclasses import dataclass

from issuer.bench.env import BenchEnv, Office
from issuer.bench.figures import BenchOptions
from issuer.bench.holder import HolderKey
from issuer.bench.rates import VERIFY_WINDOWS, _best_rate
from issuer.credentials import keys
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.token_status import sign_token_status_list
from issuer.process.wallet_credentials import issue_sd_jwt_vc
from issuer.runtime import system_clock, system_entropy
from verifier import StaticKeys, StaticTokenStatusLists, TrustPolicy
from verifier.sd_jwt_vc import SdJwtVcResult, SdJwtVcVerifier

__all__ = ["CREDENTIALS", "PRESENTED", "SdJwtVcRates", "verification_rates"]

CREDENTIALS = 100
"""Distinct SD-JWT VCs verified round robin (each with its own salts and holder key)."""
PRESENTED = frozenset({"given_name", "family_name", "scheme"})
"""The claims a presentation discloses: three of the seven top-level ones."""
VERIFIER = "https://verifier.bench.certreg.invalid"
"""The audience of the presentations' KB-JWTs: a verifier that is not the issuer."""
_NONCE = "bench-verifier-nonce"


@dataclass(frozen=True, slots=True)
class SdJwtVcRates:
    """Verifications per second of the SD-JWT VCs as issued and of their presentations,
    and how many disclosures each carried."""

    issued: float
    presented: float
    disclosures: tuple[int, int]
    """The fewest and most disclosures of an SD-JWT VC as issued (one or two scope items)."""


def _checked(result: SdJwtVcResult, *, disclosures: int, key_bound: bool) -> None:
    """A wrong setup must fail the run, not look fast."""
    if not result.verified:
        raise RuntimeError(f"an SD-JWT VC did not verify: {result.error}")
    if len(result.disclosed) != disclosures or result.key_bound is not key_bound:
        raise RuntimeError(
            f"an SD-JWT VC verified with {len(result.disclosed)} disclosures "
            f"(key-bound: {result.key_bound}), not {disclosures}"
        )


def _disclosures(text: str) -> int:
    return len(text.split("~")) - 2  # <JWT>~<D1>~…~<Dn>~


def verification_rates(
    env: BenchEnv,
    office: Office,
    numbers: list[str],
    options: BenchOptions,
    *,
    list_entries: int,
) -> SdJwtVcRates:
    """Issue :data:`CREDENTIALS` SD-JWT VCs of ``numbers`` (certificate numbers of active
    certifications in ``office``'s store, Token Status Lists of ``list_entries``), then
    time their verification in both forms."""
    now = system_clock()
    context = IssuanceContext(identity=env.identity, keyring=env.keyring, list_entries=list_entries)
    issued: list[tuple[str, HolderKey]] = []
    with office.store.transaction() as tx:
        for i in range(CREDENTIALS):
            holder = HolderKey()
            text = issue_sd_jwt_vc(
                tx,
                number=numbers[i % len(numbers)],
                holder_jwk=holder.jwk,
                context=context,
                actor="system:bench",
                now=now,
                entropy=system_entropy,
            )
            issued.append((text, holder))
        signer = env.keyring.signer(tx)
        lists = {}
        for list_id in tx.token_status_list_ids():
            token = sign_token_status_list(
                tx, list_id, identity=env.identity, signer=signer, now=now, ttl_seconds=300
            )
            assert token is not None
            lists[env.identity.token_status_list_url(list_id)] = token
        jwks = keys.jwks(keys.published_keys(tx, now=now))
    verifier = SdJwtVcVerifier(
        policy=TrustPolicy(trusted_issuers=frozenset({env.identity.did})),
        keys=StaticKeys(jwks={env.identity.base_url: jwks}),
        status=StaticTokenStatusLists(lists),
    )
    checked = system_clock()
    iat = int(checked.timestamp())
    full = [text for text, _ in issued]
    shown = [
        holder.present(text, PRESENTED, audience=VERIFIER, nonce=_NONCE, iat=iat)
        for text, holder in issued
    ]
    counts = [_disclosures(text) for text in full]
    for text in full[:10]:
        _checked(verifier.check(text, now=checked), disclosures=_disclosures(text), key_bound=False)
    for text in shown[:10]:
        result = verifier.check_presentation(text, nonce=_NONCE, audience=VERIFIER, now=checked)
        _checked(result, disclosures=len(PRESENTED), key_bound=True)
    position = 0

    def verify_issued() -> None:
        nonlocal position
        verifier.check(full[position % len(full)], now=checked)
        position += 1

    def verify_presented() -> None:
        nonlocal position
        verifier.check_presentation(
            shown[position % len(shown)], nonce=_NONCE, audience=VERIFIER, now=checked
        )
        position += 1

    return SdJwtVcRates(
        issued=_best_rate(verify_issued, options.crypto_seconds * 2, windows=VERIFY_WINDOWS),
        presented=_best_rate(verify_presented, options.crypto_seconds, windows=VERIFY_WINDOWS),
        disclosures=(min(counts), max(counts)),
    )
