"""Request and response bodies of the back office API (pydantic, at the edge only).

Every request model forbids unknown fields and bounds every string, so a body is either
exactly what the API documents or a 422 problem.
"""
