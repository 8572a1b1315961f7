"""The issuer's errors: one base, a stable ``kind`` and HTTP status each.

Domain code raises these; only ``issuer.http.app`` turns them into problem+json. The tree::

    IssuerError
    ├── Unauthenticated          401  no, malformed or unknown bearer token
    ├── InvalidCursor            400  a pagination cursor this API did not hand out
    ├── Forbidden                403  the token's role may not use this route
    │   ├── ImpartialityRefused  403  conflict of interest, own trainee, examined candidate…
    │   └── SignInRefused        403  a holder's sign-in link or form token that does not work
    ├── NotFound                 404  no such record (malformed ids are unknown ids)
    ├── StateConflict            409  the record is not in a state that allows the action
    ├── Duplicate                409  a record with this natural key exists
    ├── PayloadTooLarge          413  request body over the configured cap
    ├── RateLimited              429  too many requests from one client (public routes)
    ├── Unavailable              503  the service cannot take this now (a cap is reached)
    └── InvalidInput             422  the request is well-formed but breaks a domain rule
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "PROBLEM_KINDS",
    "Duplicate",
    "Forbidden",
    "ImpartialityRefused",
    "InvalidCursor",
    "InvalidInput",
    "IssuerError",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "SignInRefused",
    "StateConflict",
    "Unauthenticated",
    "Unavailable",
]


class IssuerError(Exception):
    """Base of every error the issuer raises on purpose."""

    kind: ClassVar[str] = "issuer-error"
    title: ClassVar[str] = "The request could not be completed"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, *, kind: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if kind is not None:
            self.kind = kind  # type: ignore[misc]  # a narrower, still stable, kind


class Unauthenticated(IssuerError):
    kind = "unauthenticated"
    title = "A valid bearer token is required"
    status = 401


class InvalidCursor(IssuerError):
    """A ``cursor`` or ``after`` that is not one the regulators' API handed out."""

    kind = "invalid-cursor"
    title = "The cursor is not valid"
    status = 400


class Forbidden(IssuerError):
    kind = "forbidden"
    title = "This role may not do that"
    status = 403


class ImpartialityRefused(Forbidden):
    """Clauses 4.3, 5.2.3 e, 6.2.1, 9.4: the person may not act for this candidate."""

    kind = "impartiality-refused"
    title = "Refused to protect impartiality"


class SignInRefused(Forbidden):
    """A certified person's sign-in link that is unknown, used or expired, or a form of
    their pages sent without the token of their session (cross-site request forgery)."""

    kind = "sign-in-refused"
    title = "This sign-in does not work"


class NotFound(IssuerError):
    kind = "not-found"
    title = "No such record"
    status = 404


class StateConflict(IssuerError):
    kind = "state-conflict"
    title = "The record's state does not allow this"
    status = 409


class Duplicate(IssuerError):
    kind = "duplicate"
    title = "A record with this key already exists"
    status = 409


class PayloadTooLarge(IssuerError):
    kind = "payload-too-large"
    title = "The request body is too large"
    status = 413


class RateLimited(IssuerError):
    """Too many requests from one client; ``retry_after`` whole seconds until the next one."""

    kind = "rate-limited"
    title = "Too many requests from this client"
    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(IssuerError):
    kind = "unavailable"
    title = "The service cannot take this request now"
    status = 503


class InvalidInput(IssuerError):
    kind = "invalid-input"
    title = "The request breaks a rule of the certification process"
    status = 422


PROBLEM_KINDS: dict[str, tuple[int, str]] = {
    "unauthenticated": (
        401,
        "No bearer token, a malformed one, or one that is unknown or revoked.",
    ),
    "forbidden": (403, "The action needs a staff member's token."),
    "wrong-role": (403, "The token's role is not one of the roles this action admits."),
    "missing-role": (
        403,
        "The staff member (the token's, or the one named) lacks the needed role.",
    ),
    "impartiality-refused": (403, "Refused to protect impartiality."),
    "trained-candidate": (403, "The examiner or decision-maker trained this candidate (5.2.3 e)."),
    "declared-conflict": (
        403,
        "The examiner or decision-maker declared a conflict of interest (4.3), and no approved "
        "measure in force covers this activity: the detail says how to proceed.",
    ),
    "examined-candidate": (
        403,
        "The decision-maker examined this candidate, or in an examination the decision relies "
        "on (9.4).",
    ),
    "took-part-in-decision": (
        403,
        "The decision-maker took the decision appealed: an appeal is investigated and decided, "
        "and its remedy given, by someone who took no part in it (9.8).",
    ),
    "examiner-not-approved": (
        403,
        "The examiner is not approved for the scheme on that date (6.2.2).",
    ),
    "separation-of-duties": (
        403,
        "Refused so that whoever manages staff and tokens cannot also decide, and whoever "
        "proposed an impartiality measure (or evaluated a risk) does not also approve it "
        "(4.2, 4.3), and the owner of a corrective action does not check its effectiveness "
        "(10).",
    ),
    "not-found": (404, "No such record, route or identifier."),
    "state-conflict": (409, "The record's state does not allow this action."),
    "invalid-transition": (
        409,
        "The application, certification, appeal, impartiality risk or finding cannot move "
        "to that state from its current one.",
    ),
    "risk-not-acceptable": (
        409,
        "An impartiality risk scoring over 6 cannot be accepted: record a measure and have it "
        "approved (4.3).",
    ),
    "risk-mismatch": (
        422,
        "A conflict may be linked only to an impartiality risk that concerns the same staff "
        "member and person.",
    ),
    "open-application": (409, "The person already has an open application for this scheme."),
    "not-a-candidate": (409, "Only an accepted application (a candidate) can be examined."),
    "staff-inactive": (
        409,
        "The staff member is deactivated: reactivate them before giving roles or tokens.",
    ),
    "duplicate": (409, "A record with the same key already exists."),
    "payload-too-large": (413, "The request body exceeds the configured size limit."),
    "rate-limited": (429, "Too many requests from this client: wait the Retry-After seconds."),
    "unavailable": (503, "The service cannot take this request now: try again later."),
    "complaints-full": (
        503,
        "Too many complaints sent through the public form wait to be looked at: try again "
        "later, or write to the certification body.",
    ),
    "invalid-input": (422, "The request is well-formed but breaks a rule of the process."),
    "evidence-missing": (
        422,
        "A grant or an added scope item needs a passed, identity-checked examination under NDA "
        "that assessed it; a recertification needs evidence of a kind its scheme accepts.",
    ),
    "evidence-not-usable": (
        422,
        "A named examination or evidence is of another person, scheme or certification, "
        "failed, outside the window for recertification, of a kind the scheme does not "
        "accept, already relied on by another recertification, or certification was denied "
        "on it.",
    ),
    "incompatible-roles": (
        422,
        "One staff member cannot be both administrator and decision-maker.",
    ),
    "validation-failed": (
        422,
        "The request body, query or path does not match the documented shape.",
    ),
    "malformed-request": (
        400,
        "The request could not be read (for example, a body that is not JSON).",
    ),
    "method-not-allowed": (405, "The route exists but not with this HTTP method."),
    "certification-not-active": (
        409,
        "Only an active certification may receive a mark, an SD-JWT VC or a wallet offer.",
    ),
    "unknown-credential-configuration": (
        422,
        "No wallet credential configuration has that id: the credential issuer metadata lists "
        "those there are.",
    ),
    "holder-key-private": (
        422,
        "The holder key carries private members (such as d): send the public key only.",
    ),
    "holder-key-unsupported": (
        422,
        "The holder key is not of a supported type: an EC P-256 or an OKP Ed25519 JWK.",
    ),
    "holder-key-malformed": (
        422,
        "The holder key is not a valid public JWK of its type (a bad coordinate, a point off "
        "the curve, or not a JSON object).",
    ),
    "no-mark": (409, "The scheme has no certification mark defined."),
    "mark-agreement-missing": (409, "The person has not agreed to the current mark rules (9.7)."),
    "no-change": (409, "The decision would leave the certification exactly as it is."),
    "not-suspended": (409, "Only a suspended certification has a suspension to resolve."),
    "appeal-not-upheld": (
        409,
        "The appeal a decision names is not upheld with this remedy for this certification "
        "(for a re-grant: this person and scheme), or its remedy was already given (9.8).",
    ),
    "complaint-not-open": (
        409,
        "The complaint a suspension names is about another certificate, not validated, or "
        "already answered (9.9).",
    ),
    "unknown-surveillance-activity": (
        422,
        "The certification's scheme defines no surveillance activity with that code.",
    ),
    "no-surveillance-due": (
        409,
        "Nothing of that surveillance activity is open on the certification's schedule.",
    ),
    "recertification-window": (
        409,
        "Today is outside the window for recertification: the detail says when it opens or "
        "when it closed (9.6).",
    ),
    "already-recertified": (
        409,
        "The certification was already recertified in this window: its next cycle is "
        "decided; the detail says when the next window opens (9.6).",
    ),
    "no-signing-key": (422, "No active signing key: rotate to a new key before issuing."),
    "credential-invalid": (422, "The credential would not match its JSON Schema; not signed."),
    "certificate-not-printable": (
        422,
        "The printable certificate cannot be made: a text has a character the certificate font "
        "lacks, or the scope does not fit on one page.",
    ),
    "language-not-offered": (
        422,
        "The certificate was asked for (`?lang=`) in a language certreg has no catalogue for: "
        "the detail names the languages offered.",
    ),
    "invalid-cursor": (400, "The pagination cursor is not one this API handed out."),
    "legal-basis-required": (
        422,
        "A disclosure of a confidential field needs its legal basis stated (7.3.4).",
    ),
    # bulk issuance (issuer.bulk): per-row reasons and the batch endpoint
    "row-invalid": (
        422,
        "A roster row lacks a required field or has a malformed value (bulk issuance).",
    ),
    "unknown-scheme": (422, "No scheme has the code a roster row names."),
    "unknown-scope-item": (
        422,
        "A roster row names scope items that are not in the scheme's current version.",
    ),
    "unknown-decision-maker": (
        422,
        "A roster row's decided_by names no single active decision-maker.",
    ),
    "not-own-decision": (403, "A decision-maker may only record their own roster grants."),
    "effective-date-out-of-range": (
        422,
        "A certification takes effect on its decision day or within a year after it.",
    ),
    "external-id-reused": (
        409,
        "The external id was already issued for a roster row with other content.",
    ),
    "evidence-insufficient": (
        422,
        "A roster row's evidence does not support a grant: the examination was not passed, "
        "identity was not checked or the NDA was not accepted (9.3, 7.4.4).",
    ),
    "batch-too-large": (413, "The batch has more items than one request may carry."),
    "roster-already-approved": (
        409,
        "Another decision-maker has already approved this roster; only they may finish it.",
    ),
    "certification-ended": (
        409,
        "The certification was withdrawn or has expired: nothing new is signed for it.",
    ),
    "internal-error": (500, "An unexpected error; nothing about it is disclosed."),
    "not-investigator": (
        403,
        "Only the staff member assigned to investigate a complaint answers it, and only the "
        "decision-maker assigned to an appeal decides it (9.8, 9.9).",
    ),
    "sign-in-refused": (
        403,
        "The sign-in link is unknown, already used or expired: ask for a new one.",
    ),
    "form-token-invalid": (
        403,
        "A form of a certified person's own pages came without the token of their session "
        "(it may be from another site, or the session ended): open the page again.",
    ),
    "image-not-accepted": (
        422,
        "An image for the printed certificate (the logo, the accreditation mark) is not a "
        "PNG image, is larger than allowed, or cannot be read.",
    ),
}
"""Every stable problem ``kind`` certreg's issuer can return: its HTTP status and meaning."""
