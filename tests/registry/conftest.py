"""Registry fixtures: a registry store per backend and a test-side issuer that signs.

Every store test runs on SQLite and, when ``CERTREG_TEST_POSTGRES_URL`` is set, on PostgreSQL
(under ``CI=true`` a missing or unreachable PostgreSQL fails instead of skipping). Each session
migrates a private schema once; each test starts from an empty table. Keys are made with
``cryptography`` directly (no scrypt-encrypted issuer keys), so the suite stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from issuer.credentials.signing import Algorithm, b64url, jwk_thumbprint, sign_compact
from registry import Registry, RegistryStore, create_registry_app, migrate
from registry.store import create_registry_engine
from schemas.publication import DocumentKind, Publication

POSTGRES_ENV = "CERTREG_TEST_POSTGRES_URL"
RECEIVED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BASE_URL = "https://certs.example.test"
DID = "did:web:certs.example.test"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
INTAKE_TOKEN = "intake-secret-only-for-tests"
NUMBER = "7K3M-9QXD-2HFW-8T4B-E"
VC_HEADER = {"typ": "vc+jwt", "cty": "vc"}


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class KeyPair:
    """A signing key made in the test (implements :class:`issuer.credentials.signing.Signer`)."""

    def __init__(self, alg: Algorithm) -> None:
        self._alg = alg
        self._private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
        if alg is Algorithm.EDDSA:
            self._private = ed25519.Ed25519PrivateKey.generate()
            raw = self._private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        else:
            self._private = ec.generate_private_key(ec.SECP256R1())
            numbers = self._private.public_key().public_numbers()
            jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")),
            }
        self._kid = jwk_thumbprint(jwk)
        self.public_jwk = {**jwk, "alg": alg.value, "kid": self._kid, "use": "sig"}

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> Algorithm:
        return self._alg

    def sign(self, signing_input: bytes) -> bytes:
        if isinstance(self._private, ed25519.Ed25519PrivateKey):
            return self._private.sign(signing_input)
        der = self._private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class TestIssuer:
    """Signs publications the way the issuer does, with knobs to break them."""

    __test__ = False  # not a test class

    def __init__(self, *keys: KeyPair) -> None:
        self.keys = list(keys)
        self.revoked: list[KeyPair] = []

    @property
    def key(self) -> KeyPair:
        return self.keys[0]

    def did_document(self) -> dict[str, Any]:
        methods: list[dict[str, Any]] = [
            {
                "id": f"{DID}#{k.kid}",
                "type": "JsonWebKey",
                "controller": DID,
                "publicKeyJwk": dict(k.public_jwk),
            }
            for k in self.keys
        ]
        methods += [
            {
                "id": f"{DID}#{k.kid}",
                "type": "JsonWebKey",
                "controller": DID,
                "publicKeyJwk": dict(k.public_jwk),
                "revoked": "2026-11-24T00:00:00Z",
            }
            for k in self.revoked
        ]
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"],
            "id": DID,
            "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods],
        }

    def keys_payload(self) -> dict[str, Any]:
        return {
            "did_document": self.did_document(),
            "jwks": {"keys": [dict(k.public_jwk) for k in self.keys]},
        }

    def keys_publication(
        self,
        version: int = 1,
        *,
        payload: dict[str, Any] | None = None,
        signer: KeyPair | None = None,
        typ: str = "keys+jwt",
        kid: str | None = None,
    ) -> Publication:
        body = self.sign(
            self.keys_payload() if payload is None else payload,
            signer=signer,
            header={"typ": typ},
            kid=kid,
        )
        return Publication(kind=DocumentKind.ISSUER_KEYS, key="issuer", version=version, body=body)

    def sign(
        self,
        payload: dict[str, Any],
        *,
        signer: KeyPair | None = None,
        header: dict[str, Any] | None = None,
        kid: str | None = None,
    ) -> str:
        """``payload`` signed as the issuer signs it (``kid`` the DID URL of the key), or
        with the header's ``kid`` set to ``kid`` (a bare thumbprint, as before, or any)."""
        signer = signer or self.key
        header = VC_HEADER if header is None else header
        if kid is None:
            return sign_compact(header=header, payload=payload, signer=signer, did=DID)
        protected = {**header, "alg": signer.alg.value, "kid": kid}
        signing_input = f"{b64url(_json(protected))}.{b64url(_json(payload))}"
        return f"{signing_input}.{b64url(signer.sign(signing_input.encode('ascii')))}"

    def publication(
        self, kind: DocumentKind, key: str, payload: dict[str, Any], version: int = 1, **kw: Any
    ) -> Publication:
        return Publication(kind=kind, key=key, version=version, body=self.sign(payload, **kw))


def vc(types: str, subject: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": [VC_V2, "https://w3id.org/certreg/v1"],
        "type": ["VerifiableCredential", types],
        "issuer": DID,
        "validFrom": "2026-11-25T09:00:00Z",
        "credentialSubject": subject,
        **extra,
    }


def status_list_payload(list_id: str, *, ttl_ms: int | None = 60_000) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "id": f"{BASE_URL}/status/{list_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    return vc("BitstringStatusListCredential", subject, id=f"{BASE_URL}/status/{list_id}")


def register_entry_payload(
    number: str = NUMBER,
    *,
    family_name: str = "Müller",
    status: str = "active",
    given_name: str = "Anna",
    directory: bool = False,
) -> dict[str, Any]:
    subject = {
        "type": "RegisterEntry",
        "certificateNumber": number,
        "name": f"{given_name} {family_name}",
        "givenName": given_name,
        "familyName": family_name,
        "scheme": {
            "id": f"{BASE_URL}/schemes/welding-inspector",
            "type": "CertificationScheme",
            "code": "WI",
            "name": "Welding inspector",
            "version": 1,
        },
        "scope": [{"type": "ScopeItem", "code": "WI-1", "name": "Visual inspection"}],
        "status": status,
        "statusSince": "2026-11-25T09:00:00Z",
        "effectiveDate": "2026-11-25",
        "expiryDate": "2031-11-24",
        "credentials": [
            {
                "id": "urn:uuid:0b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a11",
                "type": "CertificationCredential",
                "status": "active",
            }
        ],
        "directory": directory,
    }
    return vc("RegisterEntryCredential", subject, id=f"{BASE_URL}/register/{number}")


CREDENTIAL_ID = "0b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a11"


def certificate_payload(credential_id: str = CREDENTIAL_ID, **subject: Any) -> dict[str, Any]:
    """A ``CertificationCredential`` as the issuer signs it (schema-valid)."""
    status = [
        {
            "id": f"{BASE_URL}/status/{list_id}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": f"{BASE_URL}/status/{list_id}",
        }
        for purpose, list_id, index in (("revocation", "r1", 7), ("suspension", "s1", 7))
    ]
    entry = register_entry_payload()["credentialSubject"]
    return {
        "@context": [VC_V2, "https://w3id.org/certreg/v1"],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "CertificationCredential"],
        "issuer": {"id": DID, "name": "Example Welding Certification Body"},
        "validFrom": "2026-11-25T00:00:00Z",
        "validUntil": "2031-11-24T23:59:59Z",
        "credentialStatus": status,
        "credentialSchema": {
            "id": f"{BASE_URL}/schemas/certification-credential-v1.json",
            "type": "JsonSchema",
        },
        "credentialSubject": {
            "type": "CertifiedPerson",
            "name": entry["name"],
            "givenName": entry["givenName"],
            "familyName": entry["familyName"],
            "certification": {
                "type": "Certification",
                "certificateNumber": entry["certificateNumber"],
                "scheme": entry["scheme"],
                "scope": entry["scope"],
                "effectiveDate": entry["effectiveDate"],
                "expiryDate": entry["expiryDate"],
            },
            **subject,
        },
        "iat": 1795597200,
    }


def scheme_payload(scheme_id: str = "welding-inspector") -> dict[str, Any]:
    subject = {
        "id": f"{BASE_URL}/schemes/{scheme_id}",
        "type": "CertificationScheme",
        "code": "WI",
        "name": "Welding inspector",
        "version": 1,
    }
    return vc("SchemeInformationCredential", subject)


# ── stores per backend ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class PostgresSchema:
    url: str
    schema: str

    def engine(self) -> Engine:
        options = {"options": f"-csearch_path={self.schema}"}
        return create_registry_engine(self.url, connect_args=options)


def _ci() -> bool:
    return os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def registry_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry-template") / "registry.sqlite3"
    engine = create_registry_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def registry_postgres() -> Iterator[PostgresSchema]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if _ci():
            pytest.fail(f"CI=true but {POSTGRES_ENV} is not set")
        pytest.skip(f"{POSTGRES_ENV} not set")
    schema = f"certreg_registry_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if _ci():
            pytest.fail(f"PostgreSQL at {url} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {url} is unreachable: {exc}")
    target = PostgresSchema(url=url, schema=schema)
    engine = target.engine()
    migrate.upgrade(engine)
    engine.dispose()
    yield target
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def registry_store(
    registry_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[RegistryStore]:
    if registry_backend == "sqlite":
        template: Path = request.getfixturevalue("registry_sqlite_template")
        path = tmp_path / "registry.sqlite3"
        shutil.copyfile(template, path)
        engine = create_registry_engine(f"sqlite:///{path}")
    else:
        target: PostgresSchema = request.getfixturevalue("registry_postgres")
        engine = target.engine()
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE documents"))
    store = RegistryStore(engine, clock=lambda: RECEIVED)
    yield store
    store.dispose()


@pytest.fixture
def registry(registry_store: RegistryStore) -> Registry:
    return Registry(registry_store)


@pytest.fixture
def test_issuer() -> TestIssuer:
    return TestIssuer(KeyPair(Algorithm.ES256))


@pytest.fixture
def published(registry: Registry, test_issuer: TestIssuer) -> TestIssuer:
    """The issuer's keys already accepted by the registry."""
    assert registry.accept(test_issuer.keys_publication())
    return test_issuer


@pytest.fixture
def registry_client(registry: Registry) -> Iterator[TestClient]:
    app = create_registry_app(registry, intake_token=INTAKE_TOKEN, max_body_bytes=64 * 1024)
    with TestClient(app) as test_client:
        yield test_client
