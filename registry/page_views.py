"""What the scheme pages and the body's page show, read defensively from the subjects the
issuer published: a scheme's clause 7.2.2 information, recertification and surveillance
schedule; the body's impartiality commitment, appeals and complaints, contact and
accreditation. A field of the wrong type is shown as absent, never as an error.

The views hold the body's own words as published and, for the few words the register adds
(section headings, kinds of recertification evidence), message ids marked with
:func:`registry.pages.N_` that the templates translate into the reader's language; counts
stay numbers, for the templates to write with the right plural.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from registry.pages import N_

__all__ = [
    "BodyView",
    "SchemeView",
    "body_view",
    "paragraphs",
    "scheme_view",
]


def paragraphs(text: object) -> list[str]:
    """A free text as paragraphs: split on blank lines, each trimmed, empties dropped."""
    if not isinstance(text, str):
        return []
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return [" ".join(block.split()) for block in blocks if block.strip()]


@dataclass(frozen=True, slots=True)
class ScopeItemView:
    code: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class SectionView:
    heading: str
    paragraphs: list[str]


@dataclass(frozen=True, slots=True)
class SurveillanceView:
    code: str
    name: str
    interval_months: int
    grace_days: int | None


@dataclass(frozen=True, slots=True)
class SchemeView:
    """What a scheme page shows, read defensively from a published scheme's subject."""

    href: str
    code: str
    name: str
    version: int | None
    owner: str
    recertification_months: int | None
    window_months: int | None
    """From how many months before expiry a holder may recertify (0: from the expiry date)."""
    grace_days: int | None
    """Until how many days after expiry (0: until the expiry date)."""
    recertification_evidence: list[str]
    """The kinds of evidence, as message ids the page translates."""
    scope: list[str]
    scope_items: list[ScopeItemView]
    sections: list[SectionView]
    surveillance: list[SurveillanceView]


_SECTIONS = (
    ("prerequisites", N_("Prerequisites")),
    ("applicationRequirements", N_("How to apply")),
    ("initialCertificationRequirements", N_("Requirements for initial certification")),
    ("surveillanceRequirements", N_("Surveillance")),
    ("recertificationRequirements", N_("Requirements for recertification")),
    ("processDescription", N_("The certification process")),
)
"""The clause 7.2.2 information of a scheme, in the order a candidate meets it; each heading
is translated where it is shown."""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_EVIDENCE_WORDS = {
    "examination": N_("a new examination"),
    "continuing-development": N_("continuing professional development"),
    "work-evidence": N_("evidence of work done in the field"),
}
"""The kinds of recertification evidence (``recertificationEvidence``), in a reader's words."""


def _evidence(value: object) -> list[str]:
    return (
        [_EVIDENCE_WORDS[k] for k in value if k in _EVIDENCE_WORDS]
        if isinstance(value, list)
        else []
    )


def _surveillance(value: object) -> list[SurveillanceView]:
    activities: Sequence[Any] = value if isinstance(value, list) else []
    views = []
    for activity in activities:
        if not isinstance(activity, Mapping):
            continue
        interval = _integer(activity.get("intervalMonths"))
        if interval is None:
            continue
        views.append(
            SurveillanceView(
                code=_text(activity.get("code")),
                name=_text(activity.get("name")),
                interval_months=interval,
                grace_days=_integer(activity.get("graceDays")),
            )
        )
    return views


def scheme_view(key: str, subject: object) -> SchemeView:
    """The view of the scheme published under ``key`` (its subject may be anything)."""
    data: Mapping[str, Any] = subject if isinstance(subject, Mapping) else {}
    raw_items = data.get("scopeItems")
    items: Sequence[Any] = raw_items if isinstance(raw_items, list) else []
    return SchemeView(
        href="/schemes/" + quote(key, safe=""),
        code=_text(data.get("code")),
        name=_text(data.get("name")) or key,
        version=_integer(data.get("version")),
        owner=_text(data.get("schemeOwner")),
        recertification_months=_integer(data.get("recertificationIntervalMonths")),
        window_months=_integer(data.get("recertificationWindowMonthsBefore")),
        grace_days=_integer(data.get("recertificationGraceDays")),
        recertification_evidence=_evidence(data.get("recertificationEvidence")),
        scope=paragraphs(data.get("scopeDescription")),
        scope_items=[
            ScopeItemView(
                code=_text(item.get("code")),
                name=_text(item.get("name")),
                description=_text(item.get("description")),
            )
            for item in items
            if isinstance(item, Mapping)
        ],
        sections=[
            SectionView(heading, paragraphs(data.get(field)))
            for field, heading in _SECTIONS
            if paragraphs(data.get(field))
        ],
        surveillance=_surveillance(data.get("surveillanceActivities")),
    )


@dataclass(frozen=True, slots=True)
class BodyView:
    """What the ``/body`` page shows, read defensively from the published body information:
    the impartiality commitment (4.3), how to appeal (9.8) and complain (9.9), whom to
    write to, and the accreditation if any."""

    name: str
    version: int | None
    sections: list[SectionView]
    contact: str
    accreditation_body: str
    accreditation_number: str
    accreditation_scope_url: str


_BODY_SECTIONS = (
    ("impartialityCommitment", N_("Our commitment to impartiality")),
    ("appealsProcess", N_("How to appeal a decision")),
    ("complaintsProcess", N_("How to make a complaint")),
)


def body_view(subject: object) -> BodyView:
    """The view of the published body information (its subject may be anything)."""
    data: Mapping[str, Any] = subject if isinstance(subject, Mapping) else {}
    raw = data.get("accreditation")
    accreditation: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    scope_url = _text(accreditation.get("scopeUrl"))
    return BodyView(
        name=_text(data.get("name")),
        version=_integer(data.get("version")),
        sections=[
            SectionView(heading, paragraphs(data.get(field)))
            for field, heading in _BODY_SECTIONS
            if paragraphs(data.get(field))
        ],
        contact=_text(data.get("contact")),
        accreditation_body=_text(accreditation.get("accreditationBody")),
        accreditation_number=_text(accreditation.get("accreditationNumber")),
        # A link only to a web address (never ``javascript:`` or the like).
        accreditation_scope_url=scope_url if scope_url.startswith("https://") else "",
    )
