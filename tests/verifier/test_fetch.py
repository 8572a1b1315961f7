"""The HTTP fetcher's rules, over ``httpx.MockTransport`` (no network): HTTPS only, plain HTTP
only for the hosts a policy names, bounded redirects re-checked at every hop, a body cap
enforced while streaming, Cache-Control honoured, and every failure turned into "cannot
confirm" — KeyRetrievalError for keys, StatusRetrievalError for status lists — never "valid".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.verifier.tokens import NOW, FakeIssuer, IssuerKey
from verifier import (
    CryptographicSecurityError,
    HttpFetcher,
    HttpKeys,
    HttpStatusLists,
    KeyRetrievalError,
    StatusRetrievalError,
    TrustPolicy,
    Verdict,
    http_verifier,
)
from verifier.fetch import Unreachable, cache_seconds

Handler = Callable[[httpx.Request], httpx.Response]
MB = 1024 * 1024


def fetcher(handler: Handler, policy: TrustPolicy | None = None, **kw: int) -> HttpFetcher:
    policy = policy or TrustPolicy(trusted_issuers=frozenset())
    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    return HttpFetcher(policy, client=client, **kw)


def ok(body: bytes = b"{}", **headers: str) -> Handler:
    return lambda request: httpx.Response(200, content=body, headers=headers)


def test_https_is_fetched_with_its_media_type_and_max_age() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {
            "content-type": "Application/VC+JWT; charset=utf-8",
            "cache-control": "max-age=60",
        }
        return httpx.Response(200, content=b"abc", headers=headers)

    got = fetcher(handler).get("https://issuer.example/status/1", accept="application/vc+jwt")
    assert (got.body, got.media_type, got.max_age) == (b"abc", "application/vc+jwt", 60)
    assert seen[0].headers["accept"] == "application/vc+jwt"


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example/x",
        "ftp://issuer.example/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https:///no-host",
        "issuer.example/x",
        "http://[::1/x",
    ],
)
def test_only_https_urls_are_fetched(url: str) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    with pytest.raises(Unreachable):
        fetcher(handler).get(url, accept="*/*")
    assert calls == []


def test_plain_http_only_for_hosts_the_policy_allows() -> None:
    policy = TrustPolicy(trusted_issuers=frozenset(), unsafe_http_hosts=frozenset({"localhost"}))
    assert fetcher(ok(b"x"), policy).get("http://localhost:8000/x", accept="*/*").body == b"x"
    with pytest.raises(Unreachable):
        fetcher(ok(b"x"), policy).get("http://127.0.0.1:8000/x", accept="*/*")


def redirects(hops: int, final: str = "https://issuer.example/final") -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        step = int(request.url.params.get("hop", "0"))
        if request.url.path == "/final":
            return httpx.Response(200, content=b"arrived")
        target = final if step + 1 >= hops else f"/hop?hop={step + 1}"
        return httpx.Response(302, headers={"location": target})

    return handler


def test_redirects_are_followed_up_to_the_limit() -> None:
    got = fetcher(redirects(3), max_redirects=3).get("https://issuer.example/a", accept="*/*")
    assert got.body == b"arrived"
    assert got.url == "https://issuer.example/final"
    with pytest.raises(Unreachable, match="redirects"):
        fetcher(redirects(4), max_redirects=3).get("https://issuer.example/a", accept="*/*")


def test_a_redirect_to_plain_http_or_without_location_is_refused() -> None:
    with pytest.raises(Unreachable, match="only https"):
        fetcher(redirects(1, final="http://issuer.example/final")).get(
            "https://issuer.example/a", accept="*/*"
        )
    with pytest.raises(Unreachable, match=r"only https|no host"):
        fetcher(redirects(1, final="file:///etc/passwd")).get(
            "https://issuer.example/a", accept="*/*"
        )
    with pytest.raises(Unreachable, match="Location"):
        fetcher(lambda r: httpx.Response(301)).get("https://issuer.example/a", accept="*/*")


def test_a_50_mb_streamed_body_is_refused_without_reading_it_all() -> None:
    served: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(50 * MB // (64 * 1024)):
            served.append(1)
            yield b"\0" * (64 * 1024)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())  # streamed, no Content-Length

    policy = TrustPolicy(trusted_issuers=frozenset(), max_document_bytes=2 * MB)
    with pytest.raises(Unreachable, match="larger than"):
        fetcher(handler, policy).get("https://issuer.example/huge", accept="*/*")
    assert len(served) <= 2 * MB // (64 * 1024) + 2  # stopped just past the cap


def test_a_declared_length_over_the_cap_is_refused_before_the_body() -> None:
    served: list[int] = []

    def body() -> Iterator[bytes]:
        served.append(1)
        yield b"x"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers={"content-length": str(50 * MB)})

    with pytest.raises(Unreachable, match="larger than"):
        fetcher(handler).get("https://issuer.example/huge", accept="*/*")
    assert served == []


@pytest.mark.parametrize("status", [204, 304, 404, 410, 500, 503])
def test_anything_but_200_is_unreachable(status: int) -> None:
    with pytest.raises(Unreachable):
        fetcher(lambda r: httpx.Response(status)).get("https://issuer.example/x", accept="*/*")


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("garbled"),
    ],
)
def test_timeouts_and_transport_errors_are_unreachable(error: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(Unreachable, match=type(error).__name__):
        fetcher(handler).get("https://issuer.example/x", accept="*/*")


def test_the_default_client_has_a_timeout_and_does_not_follow_redirects() -> None:
    default = HttpFetcher(TrustPolicy(trusted_issuers=frozenset()), timeout=2.5)
    try:
        client = default._client
        assert client.timeout.read == 2.5
        assert client.timeout.connect == 2.5
        assert client.follow_redirects is False
    finally:
        default.close()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=60", 60),
        ("public, max-age=300", 300),
        ("max-age = 7 , must-revalidate", 7),
        ('max-age="20"', 20),
        ("MAX-AGE=5", 5),
        ("no-store", 0),
        ("no-cache, max-age=600", 0),
        ("private, no-store", 0),
        (None, None),
        ("", None),
        ("public", None),
        ("max-age=abc", None),
        ("max-age=-1", None),
        ("s-maxage=10", None),
        ("max-age=99999999999", None),
    ],
)
def test_cache_control_max_age(header: str | None, seconds: int | None) -> None:
    assert cache_seconds(header) == seconds


# --- key and status sources over the fetcher ----------------------------------------------


def issuer_site(issuer: FakeIssuer, **overrides: Handler) -> tuple[Handler, list[str]]:
    """The issuer's DID document and status lists, as its web server would answer."""
    asked: list[str] = []
    lists = issuer.lists()

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        asked.append(url)
        for path, override in overrides.items():
            if request.url.path == path:
                return override(request)
        if request.url.path == "/.well-known/did.json":
            body = json.dumps(issuer.did_document()).encode()
            return httpx.Response(200, content=body, headers={"cache-control": "max-age=60"})
        if url in lists:
            return httpx.Response(200, content=lists[url].encode())
        return httpx.Response(404)

    return handler, asked


def test_http_keys_resolve_did_web_and_cache_by_max_age() -> None:
    issuer = FakeIssuer()
    handler, asked = issuer_site(issuer)
    policy = TrustPolicy.trusting(issuer.did)
    keys = HttpKeys(policy, fetcher(handler, policy))
    assert keys.issuer_keys(issuer.did, now=NOW).key_for(issuer.key.kid)
    keys.issuer_keys(issuer.did, now=NOW)
    assert asked == ["https://issuer.example/.well-known/did.json"]


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(404),
        lambda r: httpx.Response(200, content=b"not json"),
        lambda r: httpx.Response(200, content=b"[" * 100_000),
        lambda r: httpx.Response(200, content=json.dumps({"id": "did:web:other"}).encode()),
        lambda r: httpx.Response(302, headers={"location": "http://issuer.example/x"}),
    ],
)
def test_http_keys_failures_are_key_retrieval_errors(answer: Handler) -> None:
    issuer = FakeIssuer()
    handler, _ = issuer_site(issuer, **{"/.well-known/did.json": answer})
    policy = TrustPolicy.trusting(issuer.did)
    with pytest.raises(KeyRetrievalError):
        HttpKeys(policy, fetcher(handler, policy)).issuer_keys(issuer.did, now=NOW)


def test_http_keys_timeout_is_a_key_retrieval_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    policy = TrustPolicy.trusting("did:web:issuer.example")
    with pytest.raises(KeyRetrievalError):
        HttpKeys(policy, fetcher(handler, policy)).issuer_keys("did:web:issuer.example", now=NOW)


def test_http_keys_use_plain_http_for_an_allowed_development_host() -> None:
    issuer = FakeIssuer(host="localhost%3A8000")
    handler, asked = issuer_site(issuer)
    policy = TrustPolicy.trusting(issuer.did, unsafe_http_hosts=frozenset({"localhost"}))
    HttpKeys(policy, fetcher(handler, policy)).issuer_keys(issuer.did, now=NOW)
    assert asked == ["http://localhost:8000/.well-known/did.json"]


def test_http_status_lists_failures_are_status_retrieval_errors() -> None:
    handler, _ = issuer_site(FakeIssuer())
    lists = HttpStatusLists(fetcher(handler))
    with pytest.raises(StatusRetrievalError):
        lists.status_list("https://issuer.example/status/missing", now=NOW)
    with pytest.raises(StatusRetrievalError):
        lists.status_list("http://issuer.example/status/revocation", now=NOW)


def test_a_status_list_answering_with_a_huge_body_cannot_confirm() -> None:
    issuer = FakeIssuer()

    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(b"e" * MB for _ in range(50)))

    handler, _ = issuer_site(issuer, **{"/status/suspension": huge})
    policy = TrustPolicy.trusting(issuer.did)
    with pytest.raises(StatusRetrievalError, match="larger than"):
        HttpStatusLists(fetcher(handler, policy)).status_list(
            issuer.list_url("suspension"), now=NOW
        )
    report = http_verifier(policy, fetcher=fetcher(handler, policy)).check(issuer.token(), now=NOW)
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert report.exit_code == 2
    assert report.errors[0]["type"].endswith("#STATUS_RETRIEVAL_ERROR")


def test_the_http_verifier_end_to_end_over_the_mock_transport() -> None:
    issuer = FakeIssuer()
    handler, asked = issuer_site(issuer)
    policy = TrustPolicy.trusting(issuer.did)
    verifier = http_verifier(policy, fetcher=fetcher(handler, policy))
    assert verifier.check(issuer.token(), now=NOW).verdict is Verdict.VALID
    assert verifier.check(issuer.token(), now=NOW).verdict is Verdict.VALID
    assert sorted(asked) == sorted(
        [
            "https://issuer.example/.well-known/did.json",
            "https://issuer.example/status/revocation",
            "https://issuer.example/status/suspension",
        ]
    )  # keys and lists were cached for the second check


def test_an_unreachable_issuer_is_cannot_confirm_never_valid() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down")

    issuer = FakeIssuer()
    policy = TrustPolicy.trusting(issuer.did)
    report = http_verifier(policy, fetcher=fetcher(handler, policy)).check(issuer.token(), now=NOW)
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert report.errors[0]["type"] == "/problems/key-retrieval-error"


@pytest.mark.parametrize(
    "url", ["https://xn--/list", "https://exa mple.org/list", "https://\u0000/"]
)
def test_urls_that_cannot_be_encoded_are_unreachable(url: str) -> None:
    fetcher = HttpFetcher(TrustPolicy(trusted_issuers=frozenset()))
    with pytest.raises(Unreachable):
        fetcher.get(url, accept="application/vc+jwt")
    fetcher.close()


def test_a_key_rotated_in_after_the_cached_document_is_found_by_one_refetch() -> None:
    issuer = FakeIssuer()
    handler, asked = issuer_site(issuer)
    policy = TrustPolicy.trusting(issuer.did)
    verifier = http_verifier(policy, fetcher=fetcher(handler, policy))
    verifier.verify(issuer.token(), now=NOW)  # caches the DID document (max-age 60)
    documents = len([u for u in asked if u.endswith("/did.json")])
    rotated = IssuerKey.generate()
    issuer.keys.append(rotated)  # the issuer publishes a new key and signs with it
    verifier.verify(issuer.token(key=rotated), now=NOW)
    assert len([u for u in asked if u.endswith("/did.json")]) == documents + 1
    # Made-up kids do not make the verifier refetch again within the refresh interval.
    for _ in range(5):
        with pytest.raises(CryptographicSecurityError):
            verifier.verify(issuer.token(kid="made-up"), now=NOW)
    assert len([u for u in asked if u.endswith("/did.json")]) == documents + 1
