"""The errors of the OpenID4VCI endpoints, in OAuth's words rather than problem+json.

A wallet reads ``{"error": …, "error_description": …}`` (RFC 6749 §5.2, RFC 6750 §3.1,
OpenID4VCI 1.0 §6.3 and §8.3.1), so these endpoints answer in that form, never with the
problem documents of the back office API. The codes certreg sends:

=================================  ======  ====================================================
``invalid_request``                400     a parameter is missing, repeated or malformed
``invalid_grant``                  400     the pre-authorized code or transaction code does not
                                           work (unknown, used, expired, locked, wrong)
``unsupported_grant_type``         400     not the pre-authorized code grant
``invalid_token``                  401     no, an unknown, a used or an expired access token
``invalid_credential_request``     400     the credential request is malformed
``unknown_credential_configuration`` 400   no configuration with that id
``invalid_proof``                  400     the key proof does not hold
``invalid_nonce``                  400     the proof's ``c_nonce`` is missing, unknown, used or
                                           expired: get a new one from the nonce endpoint
``credential_request_denied``      400     the certificate cannot be issued now (not valid)
=================================  ======  ====================================================
"""

from __future__ import annotations

__all__ = ["WALLET_ERRORS", "WalletRefusal"]

WALLET_ERRORS: dict[str, int] = {
    "invalid_request": 400,
    "invalid_grant": 400,
    "unsupported_grant_type": 400,
    "invalid_token": 401,
    "invalid_credential_request": 400,
    "unknown_credential_configuration": 400,
    "invalid_proof": 400,
    "invalid_nonce": 400,
    "credential_request_denied": 400,
}
"""Every ``error`` code of the wallet endpoints and its HTTP status."""


class WalletRefusal(Exception):
    """A wallet's request refused with OAuth ``error`` code and a short description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = WALLET_ERRORS[error]
