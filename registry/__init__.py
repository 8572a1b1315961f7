"""The public registry security context: serves what the issuer signed, never signs.

It holds no private key and no confidential field, so it cannot leak either. Its store,
routes and publication intake arrive with the registry work; for now the package marks the
boundary that the import-direction test enforces (issuer → registry → verifier → schemas).
"""

__all__: list[str] = []
