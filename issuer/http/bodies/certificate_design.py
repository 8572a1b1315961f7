"""Bodies of the certificate design's routes (:mod:`issuer.http.routes.certificate_design`):
what the body prints on its certificates beyond the credential, as recorded and read back.

Images travel base64-encoded in the JSON body, so one request records the whole design; the
image's content is checked by :mod:`issuer.credentials.certificate_images` (a typed
``image-not-accepted`` problem), only its encoding here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from issuer.http.bodies.common import Name, _In, _Out, _printable
from issuer.model import CertificateDesign

Address = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_printable),
]


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64 (RFC 4648, with padding)") from exc
    return value


Base64Png = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=4, max_length=120_000),
    AfterValidator(_base64),
]
"""A PNG file, base64-encoded; room for a little more than the 80 KiB accepted, so a file
slightly too large is told its size rather than refused as too long a string."""


class CertificateDesignIn(_In):
    address: Address | None = Field(
        default=None, description="the body's postal address, printed under its name (lines)"
    )
    signatory_name: Name | None = Field(
        default=None, description="who signs certificates for the body, printed under the line"
    )
    signatory_function: Name | None = Field(
        default=None, description="the signatory's function, e.g. Head of Certification"
    )
    logo_png: Base64Png | None = Field(
        default=None, description="the body's logo: a PNG file of at most 80 KiB, base64"
    )
    accreditation_mark_png: Base64Png | None = Field(
        default=None,
        description="the accreditation body's mark as the body may print it: PNG, base64",
    )

    def logo(self) -> bytes | None:
        return None if self.logo_png is None else base64.b64decode(self.logo_png)

    def accreditation_mark(self) -> bytes | None:
        value = self.accreditation_mark_png
        return None if value is None else base64.b64decode(value)


class ImageOut(_Out):
    sha256: str
    size: int


def _image(data: bytes | None) -> ImageOut | None:
    if data is None:
        return None
    return ImageOut(sha256=hashlib.sha256(data).hexdigest(), size=len(data))


class CertificateDesignOut(_Out):
    version: int
    address: str | None
    signatory_name: str | None
    signatory_function: str | None
    logo: ImageOut | None
    accreditation_mark: ImageOut | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, design: CertificateDesign) -> CertificateDesignOut:
        return cls(
            version=design.version,
            address=design.address,
            signatory_name=design.signatory_name,
            signatory_function=design.signatory_function,
            logo=_image(design.logo_png),
            accreditation_mark=_image(design.accreditation_mark_png),
            recorded_by=design.recorded_by,
            recorded_at=design.recorded_at,
        )
