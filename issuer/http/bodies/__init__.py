"""Request and response bodies of the back office API (pydantic, at the edge only).

Every request model forbids unknown fields and bounds every string, so a body is either
exactly what the API documents or a 422 problem.

One module per resource, as the routes are grouped (:mod:`issuer.http.routes`), so that each
route module imports the bodies of its own records: :mod:`~issuer.http.bodies.schemes`,
:mod:`~issuer.http.bodies.staff`, :mod:`~issuer.http.bodies.cases` (persons, applications,
examinations, decisions), :mod:`~issuer.http.bodies.lifecycle`,
:mod:`~issuer.http.bodies.credentials` (credentials, marks, keys) and
:mod:`~issuer.http.bodies.records` (a certification's whole record, the audit log), over
:mod:`~issuer.http.bodies.common` (the bounded field types and the base models). Nothing is
re-exported here: import a body from its module. A body's class name is its component's name
in the OpenAPI document.
"""
