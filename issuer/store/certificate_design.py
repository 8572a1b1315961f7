"""How the body's printed certificates look, in the store: every version recorded, the
current one read, a new one inserted. Not published (the signatory's name is personal data)."""

from __future__ import annotations

from sqlalchemy import select

from issuer.model import CertificateDesign
from issuer.store.base import Unit
from issuer.store.tables import CertificateDesignRow

__all__ = ["CertificateDesignReads", "CertificateDesignWrites"]


class CertificateDesignReads(Unit):
    """The certificate design as recorded: the current version, or none yet."""

    def current_certificate_design(self) -> CertificateDesign | None:
        row = self._s.scalars(
            select(CertificateDesignRow).order_by(CertificateDesignRow.version.desc()).limit(1)
        ).first()
        if row is None:
            return None
        return CertificateDesign(
            version=row.version,
            address=row.address,
            signatory_name=row.signatory_name,
            signatory_function=row.signatory_function,
            logo_png=row.logo_png,
            accreditation_mark_png=row.accreditation_mark_png,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )


class CertificateDesignWrites(Unit):
    """A new version of the certificate design recorded."""

    def insert_certificate_design(self, design: CertificateDesign) -> None:
        self._s.add(
            CertificateDesignRow(
                version=design.version,
                address=design.address,
                signatory_name=design.signatory_name,
                signatory_function=design.signatory_function,
                logo_png=design.logo_png,
                accreditation_mark_png=design.accreditation_mark_png,
                recorded_by=design.recorded_by,
                recorded_at=design.recorded_at,
            )
        )
        self._flush("certificate design version")
