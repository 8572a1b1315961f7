"""The back office's HTTP edge: the FastAPI application, its routes and its request bodies.

Owns: :mod:`issuer.http.app` (the application for each serving mode, the background
publisher, body-size limits, problem+json errors), :mod:`issuer.http.routes` (one module per
group of records), :mod:`issuer.http.bodies` (what requests carry and responses return, one
module per resource as the routes are grouped), :mod:`issuer.http.deps` (the store, clock
and staff member each request gets) and :mod:`issuer.http.roles`.

May import everything of the issuer below the edge (bulk issuance, the process, publication,
credentials, the store) and the registry's public package. Nothing imports it but the command
line, the demo seed and the benchmark.
"""

__all__: list[str] = []
