"""``did:web`` addresses: a DID to the URL of its document, and a base URL to its DID.

Pure arithmetic on strings (the did:web method specification, "Create" and "Read"), with no
fetching and no trust: the trust policy uses it to name the issuers it is given as URLs,
the key and register sources to find what to fetch.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from verifier.errors import MalformedValueError

__all__ = ["did_web_for_url", "did_web_url"]


def did_web_url(did: str) -> str:
    """The HTTPS URL of a ``did:web`` DID document (did:web method, "Read")."""
    parts = did.split(":")
    if len(parts) < 3 or parts[:2] != ["did", "web"] or not all(parts[2:]):
        raise MalformedValueError(f"not a did:web identifier: {did[:100]}")
    host = unquote(parts[2])
    if "/" in host or "@" in host or not host:
        raise MalformedValueError(f"not a did:web host: {host[:100]}")
    path = "/".join(unquote(p) for p in parts[3:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def did_web_for_url(base_url: str) -> str:
    """The ``did:web`` a body with this base URL publishes (the inverse of :func:`did_web_url`)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {base_url[:100]}")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did", "web", host, *segments])
