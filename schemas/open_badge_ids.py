"""How an Open Badge is named after the certificate credential it restates.

certreg exports a certification as an Open Badges 3.0 credential on request
(:mod:`issuer.credentials.openbadges`). The badge is not a new credential of the
certification, only the current certificate said in Open Badges' vocabulary, so it is named
after that certificate: its ``id`` is ``urn:uuid:`` + a name-based UUID (RFC 9562 version 5)
of the certificate credential's id, in the fixed namespace below. Exporting twice gives the
same id; a new certificate (scope change, recertification) a new one.

The rule is part of the contract, not an internal habit of the issuer, because the verifier
relies on it: the issuer's signed register entry lists the certificate credentials of a
certification and which replaced which, and a verifier holding a revoked badge finds the
certificate the badge restates there by deriving each listed certificate's badge id. So a
badge whose certificate was superseded is answered *superseded* by the same certificate as
the certificate itself, without the entry naming badges — every entry already published
answers for every badge already exported, and the entry says nothing about whether a holder
ever exported one (the id follows from the certificate's id, which the entry lists anyway).
"""

from __future__ import annotations

import uuid

__all__ = ["OPEN_BADGE_NAMESPACE", "open_badge_id"]

OPEN_BADGE_NAMESPACE = uuid.UUID("5f0b6d0e-3c59-5a8e-9d0c-6f1d2b7a4e11")
"""Namespace of the name-based ids of badges. Fixed: changing it renames every badge, and a
verifier could no longer tell which certificate a badge exported before restates."""


def open_badge_id(certificate_credential_id: str) -> str:
    """The ``id`` of the badge exported from the certificate credential whose id is
    ``certificate_credential_id`` (as the issuer's records hold it: the bare UUID, which is
    also what follows ``urn:uuid:`` in the credential and the register entry)."""
    return f"urn:uuid:{uuid.uuid5(OPEN_BADGE_NAMESPACE, certificate_credential_id)}"
