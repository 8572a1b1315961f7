"""The public directory (clause 7.3.3): a name search over persons who chose to be listed,
folded like the register lookup, with a minimum query, a cap, and public fields only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from registry import InvalidQuery, Registry, create_registry_app
from registry.intake import DIRECTORY_MAX_RESULTS
from registry.names import fold, same_name
from schemas.publication import DocumentKind
from tests.registry.conftest import TestIssuer, register_entry_payload

NUMBERS = [
    "7K3M-9QXD-2HFW-8T4B-E",
    "8K3M-9QXD-2HFW-8T4B-E",
    "9K3M-9QXD-2HFW-8T4B-E",
    "AK3M-9QXD-2HFW-8T4B-E",
]


@pytest.fixture
def people(registry: Registry, published: TestIssuer) -> Registry:
    for number, given, family, listed in (
        (NUMBERS[0], "Anna", "Müller", True),
        (NUMBERS[1], "Jörg", "MÜLLER-Łukasz", True),
        (NUMBERS[2], "Hidden", "Müller", False),
        (NUMBERS[3], "Zoë", "Ørsted", True),
    ):
        payload = register_entry_payload(
            number, given_name=given, family_name=family, directory=listed
        )
        assert registry.accept(published.publication(DocumentKind.REGISTER_ENTRY, number, payload))
    return registry


@pytest.fixture
def client(people: Registry) -> Iterator[TestClient]:
    app = create_registry_app(people, lookup_limit=None, page_limit=None)
    with TestClient(app) as test_client:
        yield test_client


def _numbers(client: TestClient, name: str) -> list[str]:
    response = client.get("/directory", params={"name": name})
    assert response.status_code == 200, response.text
    return [r["certificateNumber"] for r in response.json()["results"]]


def test_only_persons_who_chose_the_directory_are_found(client: TestClient) -> None:
    assert _numbers(client, "müller") == [NUMBERS[0], NUMBERS[1]]
    assert _numbers(client, "hidden") == []


@pytest.mark.parametrize("query", ["MULLER", "muller", "Müller", "  mü ller ", "ＭＵＬＬＥＲ"])
def test_case_and_accents_are_folded(client: TestClient, query: str) -> None:
    expected = [] if query == "  mü ller " else [NUMBERS[0], NUMBERS[1]]
    assert _numbers(client, query) == expected


def test_letters_without_a_decomposition_fold_too(client: TestClient) -> None:
    assert _numbers(client, "orsted") == [NUMBERS[3]]
    assert _numbers(client, "zoe") == [NUMBERS[3]]
    assert _numbers(client, "lukasz") == [NUMBERS[1]]
    assert _numbers(client, "jorg muller") == [NUMBERS[1]]


@pytest.mark.parametrize("query", ["", "a", "Mü", "  m ", "\u200bmu\u200b", "%", "__", "ﬃ", "ææ"])
def test_a_search_needs_three_letters_and_never_lists(client: TestClient, query: str) -> None:
    response = client.get("/directory", params={"name": query})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-query"


def test_no_query_is_no_listing(client: TestClient) -> None:
    response = client.get("/directory")
    assert (response.status_code, response.json()["type"]) == (400, "/problems/invalid-query")


@pytest.mark.parametrize("query", ["%%%", "___", "a%b", "\\\\\\", "mül%", "_ül"])
def test_like_wildcards_are_taken_literally(client: TestClient, query: str) -> None:
    assert _numbers(client, query) == []


@pytest.mark.parametrize("query", ["mül\x00ler", "mül\x1bler", "x" * 101, "\ud800abc"])
def test_control_characters_and_long_queries_are_refused(people: Registry, query: str) -> None:
    with pytest.raises(InvalidQuery):
        people.directory(query)


def test_answers_carry_public_fields_only(client: TestClient) -> None:
    response = client.get("/directory", params={"name": "anna"})
    (result,) = response.json()["results"]
    assert set(result) == {
        "certificateNumber",
        "name",
        "givenName",
        "familyName",
        "scheme",
        "scope",
        "status",
        "statusSince",
        "effectiveDate",
        "expiryDate",
    }
    assert response.json()["truncated"] is False
    assert response.headers["cache-control"] == "no-cache"
    again = client.get(
        "/directory", params={"name": "anna"}, headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_answers_are_capped(registry: Registry, published: TestIssuer) -> None:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    numbers = {}
    for i in reversed(range(DIRECTORY_MAX_RESULTS + 5)):  # stored out of name order
        number = f"{alphabet[i]}Z3M-9QXD-2HFW-8T4B-E"
        numbers[i] = number
        payload = register_entry_payload(number, family_name=f"Kowalski {i:02}", directory=True)
        assert registry.accept(published.publication(DocumentKind.REGISTER_ENTRY, number, payload))
    answer = registry.directory("kowalski")
    assert len(answer.entries) == DIRECTORY_MAX_RESULTS
    assert answer.truncated
    # Ordered by name: "Anna Kowalski 00", "Anna Kowalski 01", …
    assert [e.key for e in answer.entries] == [numbers[i] for i in range(DIRECTORY_MAX_RESULTS)]
    assert not registry.directory("kowalski 2").truncated  # 20…24: five


def test_a_withdrawn_consent_drops_the_entry_once_republished(
    people: Registry, published: TestIssuer
) -> None:
    assert [d.key for d in people.directory("anna").entries] == [NUMBERS[0]]
    withdrawn = register_entry_payload(NUMBERS[0], directory=False)
    assert people.accept(
        published.publication(DocumentKind.REGISTER_ENTRY, NUMBERS[0], withdrawn, 2)
    )
    assert people.directory("anna").entries == []
    # A stale replay of the consenting version cannot put the name back.
    consenting = register_entry_payload(NUMBERS[0], directory=True)
    assert not people.accept(
        published.publication(DocumentKind.REGISTER_ENTRY, NUMBERS[0], consenting, 1)
    )
    assert people.directory("anna").entries == []
    # The register lookup still answers: leaving the directory is not leaving the register.
    document = people.document(DocumentKind.REGISTER_ENTRY, NUMBERS[0])
    assert document is not None
    assert document.version == 2


def test_folding_is_shared_with_the_register_lookup() -> None:
    assert fold("  MÜLLER\u00a0 Łukasz ") == "muller lukasz"
    assert fold("Straße") == fold("STRASSE")
    assert same_name("Müller", "muller")
    assert not same_name("Müller", "Mueller")
    assert not same_name(None, "x")
