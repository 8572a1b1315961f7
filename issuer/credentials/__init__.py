"""The credential machinery: from a decided certification to signed, checkable documents.

Owns: issuance (the credential of a certification, its status slots, the audit and outbox
rows that go with it), the credential documents themselves (VC 2.0 certificates and marks),
Bitstring Status Lists and their slots, the body's identity (its DID and what signs in its
name), signing keys and their states, signing, certificate numbers, QR codes and the printable
certificate.

:mod:`issuer.credentials.signing` is the only module that ever holds a private key in the
clear; :mod:`issuer.credentials.keys` hands keys to it encrypted, and nothing else reaches them.

May import: :mod:`issuer.store` and the shared vocabulary (``issuer.model``,
``issuer.errors``, ``issuer.runtime``). Never the process, publication, bulk issuance or the
edge: credentials know what to sign, not who decided.
"""

__all__: list[str] = []
