"""A certified person adds their certificate to a digital wallet, from their own page.

The person says which kind of wallet they use — an EU digital identity wallet or another
that takes SD-JWT credentials, or a wallet for W3C verifiable credentials
(:data:`WALLET_KINDS`) — and pressing **Add to a wallet** on a valid certification's page
makes a single-use offer of that kind (OpenID4VCI 1.0, pre-authorized code flow:
:mod:`issuer.process.wallet_offers`) and shows it once: a QR code for the wallet app to
scan, the same offer as a link for a wallet on this device, and, apart from them, the
transaction code the wallet will ask for. The page is never cached, and the offer works
once, for ``CERTREG_OID4VCI_OFFER_MINUTES``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from issuer.credentials.qr import qr_svg
from issuer.errors import StateConflict
from issuer.http.deps import ServicesDep
from issuer.http.routes.holder_pages import N_, page
from issuer.http.routes.holder_session import (
    FORM,
    PAGE,
    TO_SIGN_IN,
    Form,
    Holder,
    as_holder,
    html_errors,
    problem_page,
)
from issuer.http.routes.wallets import QR_TITLE, offer_rules
from issuer.model import OfferedBy
from issuer.process import holders, wallet_offers
from issuer.process.wallet_configurations import (
    DC_SD_JWT,
    JWT_VC_JSON,
    configurations,
    offered_configuration,
)
from issuer.store import Tx

__all__ = ["WALLET_KINDS", "router"]

WALLET_KINDS: tuple[tuple[str, str], ...] = (
    (DC_SD_JWT, N_("An EU digital identity wallet, or another wallet for SD-JWT credentials")),
    (JWT_VC_JSON, N_("A wallet for W3C verifiable credentials")),
)
"""The kinds of wallet a person chooses between, in their words, and the credential
configuration each receives. A form without a choice gets the default configuration."""

router = APIRouter(prefix="/holder", tags=["certified persons' own access"])


def _inline(svg: bytes) -> Markup:
    """The SVG document as markup to put in the page: without its XML declaration."""
    text = svg.decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :].lstrip()
    return Markup(text)  # noqa: S704 - segno's output for a text we made, escaped by segno


@router.post(
    "/certifications/{number}/wallet-offer",
    response_class=Response,
    responses={**PAGE, **TO_SIGN_IN, **html_errors(403, 404, 409, 413, 422)},
    openapi_extra=FORM,
)
def wallet_offer(number: str, request: Request, form: Form, services: ServicesDep) -> Response:
    """Make a wallet offer of the person's own valid certification, for the kind of wallet
    they chose (the form's ``configuration``), and show it once."""
    settings = services.settings
    wanted = form.get("configuration")

    def answer(tx: Tx, holder: Holder) -> Response:
        found = holders.own_certification(tx, person_id=holder.person_id, number=number)
        kinds = dict(WALLET_KINDS)
        if wanted is not None and wanted not in kinds:
            return problem_page(
                holder.language,
                422,
                N_("Choose a kind of wallet"),
                N_("Go back to your certificate and choose one of the kinds of wallet shown."),
                signed_in=True,
            )
        configuration = offered_configuration(configurations(services.issuance), wanted)
        try:
            made = wallet_offers.make_offer(
                tx,
                number=found.certificate_number,
                configuration=configuration,
                rules=offer_rules(settings),
                now=services.now(),
                entropy=services.entropy,
                offered_by=OfferedBy.HOLDER,
                created_by=None,
                actor=f"person:{holder.person_id}",
            )
        except StateConflict:
            return problem_page(
                holder.language,
                409,
                N_("Not while the certificate is not valid"),
                N_("A wallet receives your certificate only while it is valid."),
                signed_in=True,
            )
        link = made.deep_link(settings.base_url)
        kind = kinds[configuration.id]
        return page(
            "wallet_offer",
            language=holder.language,
            title=holder.language.gettext("Add your certificate to a wallet"),
            number=found.certificate_number,
            qr=_inline(qr_svg(link, title=QR_TITLE)),
            link=link,
            tx_code=made.tx_code,
            wallet_kind=holder.language.gettext(kind),
            minutes=settings.oid4vci_offer_minutes,
        )

    return as_holder(request, services, answer, form=form)
