"""The writing process of bulk issuance and the snapshot reads that run beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from issuer.bulk_writes import WritingProcess
from issuer.store import Store


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
        writing.enqueue_many([("credential", "held")], datetime(2026, 12, 1, tzinfo=UTC))
        with store.reading() as reading:
            assert reading.bulk_items(["none"]) == {}
