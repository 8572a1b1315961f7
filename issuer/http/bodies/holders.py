"""Bodies of the staff route that makes a certified person's sign-in link."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from issuer.http.bodies.common import _Out

__all__ = ["SignInLinkOut"]


class SignInLinkOut(_Out):
    id: str
    person_id: str
    url: str = Field(
        description="the link, shown this once and stored only as a digest: give it to the "
        "person or print it; it signs them in once"
    )
    expires_at: datetime = Field(description="when the link stops working, if unused")
