"""Back office routes for how the body's printed certificates look: an administrator records
the address, logo, accreditation mark and signatory printed on every certificate; any staff
member reads what is recorded now. Not published to the registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.http.bodies.certificate_design import CertificateDesignIn, CertificateDesignOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import ADMIN, STAFF
from issuer.process import certificate_design
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["certificate design"])

Administrator = Annotated[Actor, allow(*ADMIN)]
AnyStaff = Annotated[Actor, allow(*STAFF)]


@router.put("/certificate-design", responses=problem_responses())
def record(
    body: CertificateDesignIn, actor: Administrator, services: ServicesDep
) -> CertificateDesignOut:
    """Record how printed certificates look from now on: a new version, audited; what the
    body leaves out is not printed."""
    with services.tx() as tx:
        design = certificate_design.record_certificate_design(
            tx,
            actor=actor,
            now=services.now(),
            address=body.address,
            signatory_name=body.signatory_name,
            signatory_function=body.signatory_function,
            logo_png=body.logo(),
            accreditation_mark_png=body.accreditation_mark(),
        )
    return CertificateDesignOut.of(design)


@router.get(
    "/certificate-design",
    responses=problem_responses(404, said={404: "Nothing is recorded yet (not-found)"}),
)
def current(actor: AnyStaff, services: ServicesDep) -> CertificateDesignOut:
    """How printed certificates look now, as last recorded (images by digest and size)."""
    with services.tx() as tx:
        return CertificateDesignOut.of(certificate_design.current_certificate_design(tx))
