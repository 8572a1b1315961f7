"""The verifier security context: checks credentials from any standards-following issuer.

It trusts only signatures and a configured trust policy. The verification library arrives
with the verifier work; for now the package marks the boundary that the import-direction
test enforces (issuer → registry → verifier → schemas).
"""

__all__: list[str] = []
