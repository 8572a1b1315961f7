"""The writing process of bulk issuance and the snapshot reads that run beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.jwk import import_key

from issuer.bulk.writes import (
    ChunkWrite,
    UnsignedCredentials,
    WritingProcess,
    apply,
    pack,
    signed,
)
from issuer.credentials import signing
from issuer.credentials.signing import Algorithm
from issuer.credentials.status import ListClaims
from issuer.store import Store
from tests.conftest import PASSPHRASE

_AT = datetime(2026, 12, 1, tzinfo=UTC)
DID = "did:web:certs.example.test"


def _unsigned_chunk(kid: str) -> ChunkWrite:
    """A chunk (with nothing else in it) whose one credential is still to be signed."""
    return ChunkWrite(
        at=_AT,
        external_ids=[],
        certificate_numbers=[],
        recheck=[],
        lists=ListClaims(lists=(), counts=(), close_at=1),
        rows=[],
        outbox=[],
        audit={},
        unsigned=UnsignedCredentials(
            start=0, kid=kid, did=DID, header={"typ": "vc+jwt"}, payloads=[b"{}"]
        ),
    )


class _OtherKey:
    kid = "another-key"
    alg = Algorithm.ES256

    def sign(self, signing_input: bytes) -> bytes:
        raise AssertionError("nothing is signed with a key the chunk was not made for")


def test_a_handed_over_key_signs_as_the_key_itself_and_never_shows(
    signing_key: signing.GeneratedKey,
) -> None:
    """What the writing process (and each signing worker) receives: the key, under its kid,
    whose ``repr`` names it without its bytes."""
    signer = signing.load_signer(
        kid=signing_key.kid,
        alg=signing_key.alg,
        encrypted_private_key=signing_key.encrypted_private_key,
        passphrase=PASSPHRASE.encode(),
    )
    handover = signer.hand_over()
    assert repr(handover) == f"SignerHandOver(kid={signing_key.kid!r}, alg='ES256')"
    loaded = handover.load()
    assert (loaded.kid, loaded.alg) == (signer.kid, signer.alg)
    [token] = signing.sign_compact_many(
        header={"typ": "vc+jwt"}, payloads=[b"{}"], signer=loaded, did=DID
    )
    key = import_key(signing_key.public_jwk)
    signed = jws.deserialize_compact(token, key, algorithms=["ES256"])
    assert signed.payload == b"{}"
    assert signed.protected["kid"] == f"{DID}#{signing_key.kid}"


def test_a_chunk_with_credentials_unsigned_is_never_written(store: Store) -> None:
    with store.transaction() as tx, pytest.raises(ValueError, match="not all signed"):
        apply(tx, _unsigned_chunk("k"))


def test_credentials_left_unsigned_are_signed_only_with_the_chunks_own_key() -> None:
    with pytest.raises(ValueError, match="another key"):
        signed(_unsigned_chunk("k"), _OtherKey())


def test_a_writing_process_without_a_key_refuses_credentials_to_sign(tmp_path: Path) -> None:
    """Started without the batch's key, it answers such a chunk with the reason, and goes
    on taking chunks."""
    process = WritingProcess(f"sqlite:///{tmp_path / 'issuer.sqlite3'}")
    try:
        process.wait_ready()
        process.send(pack(_unsigned_chunk("k")))
        with pytest.raises(ValueError, match="holds no key"):
            process.result()
        assert process.ready
    finally:
        process.close()


def test_a_writing_process_that_cannot_open_its_store_is_never_ready(tmp_path: Path) -> None:
    """Its caller goes on writing in its own process; waiting for it says why."""
    process = WritingProcess(f"sqlite:///{tmp_path / 'no-such-directory' / 'issuer.sqlite3'}")
    try:
        with pytest.raises(Exception, match="unable to open database file"):
            process.wait_ready()
        assert not process.ready
        with pytest.raises(RuntimeError, match="not ready"):
            process.send(None)  # type: ignore[arg-type]  # refused before anything is sent
    finally:
        process.close()
    process.close()  # again: nothing left to do
    assert not process.ready


def test_a_writing_process_closed_before_it_was_ready_is_stopped(tmp_path: Path) -> None:
    """A small roster ends before the process has started: it is stopped, not waited for,
    and closing it again changes nothing."""
    process = WritingProcess(f"sqlite:///{tmp_path / 'issuer.sqlite3'}")
    process.close()
    process.close()
    assert not process.ready


def test_a_closed_writing_process_ends_at_once_and_cleanly(tmp_path: Path) -> None:
    """Told to close, it closes its store, answers, and ends without the interpreter's
    teardown (os._exit), with exit status 0: the parent is not left waiting for it."""
    process = WritingProcess(f"sqlite:///{tmp_path / 'issuer.sqlite3'}")
    process.wait_ready()
    process.close()
    assert not process._process.is_alive()
    assert process._process.exitcode == 0


def test_only_a_store_in_a_file_can_be_shared_with_a_writing_process(tmp_path: Path) -> None:
    in_file = Store.from_url(f"sqlite:///{tmp_path / 'issuer.sqlite3'}")
    in_memory = Store.from_url("sqlite://")
    try:
        assert in_file.shared_file_url() == f"sqlite:///{tmp_path / 'issuer.sqlite3'}"
        assert in_memory.shared_file_url() is None
    finally:
        in_file.dispose()
        in_memory.dispose()


def test_reading_waits_for_no_writer(store: Store) -> None:
    """A snapshot read goes ahead while another connection holds the write lock (a bulk
    run's writing process, say); a ``BEGIN IMMEDIATE`` would wait for it, then fail."""
    with store.transaction() as writing:
        writing.enqueue_many([("credential", "held")], _AT)
        with store.reading() as reading:
            assert reading.bulk_items(["none"]) == {}
