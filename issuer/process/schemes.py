"""Certification schemes (clause 8): created once, then revised into new immutable versions.

A certification keeps pointing at the version it was granted under, so revising a scheme
never rewrites what an earlier certificate attested.
"""

from __future__ import annotations

import re
from datetime import datetime

from issuer.errors import InvalidInput, NotFound
from issuer.model import RecertificationEvidenceKind, Scheme, SchemeContent, SchemeVersion
from issuer.process.auth import Actor
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from schemas.languages import LANGUAGES
from schemas.publication import DocumentKind

__all__ = ["create_scheme", "get_scheme", "revise_scheme"]

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def _check(content: SchemeContent) -> None:
    if not content.scope_items:
        raise InvalidInput("a scheme needs at least one scope item")
    codes = [item.code for item in content.scope_items]
    if len(set(codes)) != len(codes):
        raise InvalidInput("scope item codes must be unique within a scheme version")
    for code in codes:
        if not _CODE.match(code):
            raise InvalidInput(f"scope item code {code!r} must be 1-40 letters, digits, . _ -")
    if content.recertification_interval_months < 1:
        raise InvalidInput("the recertification interval must be at least one month")
    activities = [a.code for a in content.surveillance_activities]
    if len(set(activities)) != len(activities):
        raise InvalidInput("surveillance activity codes must be unique within a scheme version")
    kinds = {k.value for k in RecertificationEvidenceKind}
    accepted = content.recertification_evidence
    if not accepted or not set(accepted) <= kinds or len(set(accepted)) != len(accepted):
        raise InvalidInput(
            f"recertification_evidence names each accepted kind once, at least one, among "
            f"{sorted(kinds)}"
        )
    if not 0 <= content.recertification_window_months_before <= 24:
        raise InvalidInput("the recertification window opens 0 to 24 months before expiry")
    if not 0 <= content.recertification_grace_days <= 366:
        raise InvalidInput("the recertification grace period is 0 to 366 days after expiry")
    _check_translations(content)
    if content.recertification_window_months_before == 0 == content.recertification_grace_days:
        raise InvalidInput(
            "the window for recertification would be empty: open it some months before "
            "expiry, or give days of grace after it"
        )


def _check_translations(content: SchemeContent) -> None:
    """Each translation in an offered language, once; of the version's own scope items, each
    once; and with something to say."""
    languages = [t.language for t in content.translations]
    if len(set(languages)) != len(languages):
        raise InvalidInput("a scheme version has at most one translation per language")
    codes = {item.code for item in content.scope_items}
    for translation in content.translations:
        if translation.language not in LANGUAGES:
            raise InvalidInput(f"translations are in {', '.join(LANGUAGES)} only")
        if not (translation.title or translation.certificate_title or translation.scope_items):
            raise InvalidInput(
                f"the {translation.language} translation gives no title, certificate title "
                "or scope item"
            )
        translated = [code for code, _ in translation.scope_items]
        if len(set(translated)) != len(translated):
            raise InvalidInput(
                f"the {translation.language} translation names a scope item more than once"
            )
        unknown = sorted(set(translated) - codes)
        if unknown:
            raise InvalidInput(
                f"the {translation.language} translation names scope items the scheme version "
                f"does not have: {', '.join(unknown)}"
            )


def create_scheme(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, code: str, content: SchemeContent
) -> Scheme:
    if not _CODE.match(code):
        raise InvalidInput("a scheme code is 1-40 letters, digits, . _ -")
    _check(content)
    scheme_id = new_id(entropy)
    tx.insert_scheme(scheme_id=scheme_id, code=code, created_at=now)
    version = SchemeVersion(
        id=new_id(entropy),
        scheme_id=scheme_id,
        version=1,
        content=content,
        created_at=now,
        created_by=actor.staff(),
    )
    tx.insert_scheme_version(version)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="scheme.created",
        subject_type="scheme",
        subject_id=scheme_id,
        details={"version": 1, "scheme_version_id": version.id},
    )
    tx.enqueue(DocumentKind.SCHEME.value, scheme_id, now)  # clause 7.2.2: publish it
    return get_scheme(tx, scheme_id)


def revise_scheme(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    scheme_id: str,
    content: SchemeContent,
) -> Scheme:
    """Record an edit as the next version; earlier versions stay exactly as they were."""
    current = get_scheme(tx, scheme_id)
    _check(content)
    version = SchemeVersion(
        id=new_id(entropy),
        scheme_id=scheme_id,
        version=current.current.version + 1,
        content=content,
        created_at=now,
        created_by=actor.staff(),
    )
    tx.insert_scheme_version(version)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="scheme.revised",
        subject_type="scheme",
        subject_id=scheme_id,
        details={"version": version.version, "scheme_version_id": version.id},
    )
    tx.enqueue(DocumentKind.SCHEME.value, scheme_id, now)
    return get_scheme(tx, scheme_id)


def get_scheme(tx: Tx, scheme_id: str) -> Scheme:
    scheme = tx.get_scheme(scheme_id)
    if scheme is None:
        raise NotFound(f"no scheme {scheme_id!r}")
    return scheme
