"""The store's two faces: a unit of work that only reads (:meth:`Store.reading`) is handed a
:class:`Reader`, which has no method that writes or locks; a transaction is handed a
:class:`Tx`, which has every read as well as the writes."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from issuer.store import Reader, Store, Tx

WRITES = {
    "insert_appeal",
    "claim_notice",
    "finish_notice",
    "requeue_notice",
    "insert_complaint",
    "link_decision_to_complaint",
    "lock_complaint",
    "update_complaint",
    "lock_appeal",
    "update_appeal",
    "insert_finding",
    "lock_finding",
    "update_finding",
    "waive_surveillance_items",
    "record_surveillance_result",
    "lock_surveillance_to_propose",
    "lock_proposed_suspension",
    "lock_open_surveillance_item",
    "insert_surveillance_due",
    "insert_proposed_suspension",
    "close_proposed_suspensions",
    "append_audit",
    "claim_roster",
    "claim_slot",
    "claim_slots",
    "close_status_list",
    "count_allocation",
    "count_allocations",
    "enqueue",
    "enqueue_many",
    "finish_roster",
    "insert_application",
    "insert_body_information",
    "insert_certificate_design",
    "insert_approval",
    "insert_certification",
    "insert_competence",
    "insert_conflict",
    "insert_credential",
    "insert_decision",
    "insert_disclosure",
    "insert_examination",
    "insert_lifecycle_decision",
    "insert_mark_agreement",
    "insert_person",
    "insert_person_notice",
    "insert_recertification_evidence",
    "insert_regulator_request",
    "insert_risk",
    "insert_roster",
    "insert_rows",
    "insert_scheme",
    "insert_scheme_mark",
    "insert_scheme_version",
    "insert_signing_key",
    "insert_staff",
    "insert_status_list",
    "insert_suspension_escalation",
    "insert_token",
    "insert_trainer_relation",
    "link_conflict_to_risk",
    "link_supersession",
    "lock_live_tokens",
    "lock_certification",
    "lock_certifications_owed_notice",
    "lock_conflict",
    "lock_due_for_expiry",
    "lock_owed_reissues",
    "lock_person_notice",
    "lock_risk",
    "lock_staff",
    "lock_status_list",
    "lock_unescalated_suspensions",
    "lock_token",
    "mark_notice_sent",
    "mark_published",
    "open_status_list",
    "put_rendering",
    "record_roster_outcomes",
    "record_status_list_signatures",
    "revoke_tokens",
    "set_key_state",
    "set_roles",
    "set_slot_value",
    "open_token_status_list",
    "insert_token_status_list",
    "claim_token_slot",
    "count_token_allocation",
    "close_token_status_list",
    "set_token_slot_value",
    "record_token_status_list_signatures",
    "open_message_status_list",
    "insert_message_status_list",
    "claim_message_slot",
    "count_message_allocation",
    "close_message_status_list",
    "set_message_slot_value",
    "record_message_status_list_signatures",
    "insert_sd_jwt_vc",
    "set_staff_active",
    "update_application",
    "update_certification",
    "update_risk",
    "lock_person_confidential",
    "update_person_confidential",
    "expire_sign_in_links",
    "end_holder_session",
    "end_holder_sessions_of",
    "insert_holder_session",
    "insert_sign_in_link",
    "lock_public_intake",
    "set_directory_consent",
    "use_sign_in_link",
    "insert_credential_offer",
    "redeem_credential_offer",
    "count_wrong_tx_code",
    "insert_offer_access_token",
    "use_offer_access_token",
    "insert_proof_nonce",
    "use_proof_nonce",
    "forget_proof_nonces",
}
"""Every method of :class:`Tx` that inserts, updates or locks rows: the ones a
:class:`Reader` lacks. A method moves in or out of this set on purpose, never by accident."""

MAY_LOCK = {"get_application"}
"""Reads that lock only when asked to (``for_update=True``), which a caller does only in a
transaction, before it writes."""

WRITING = ("self._s.add", "self._s.flush", "self._flush", "self._load")
"""What the source of a method that writes through the ORM or the bulk loader contains (the
Core statements that write are the calls of ``update``, ``delete`` and ``_insert``)."""


def _methods(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


def test_reading_hands_out_a_reader_without_a_write(store: Store) -> None:
    with store.reading() as reader:
        assert type(reader) is Reader
        for name in ("insert_person", "append_audit", "enqueue", "claim_slot", *WRITES):
            assert not hasattr(reader, name), name
        with pytest.raises(AttributeError):
            reader.insert_person  # type: ignore[attr-defined]  # noqa: B018
        assert reader.list_schemes() == []
        assert reader.bulk_items(["none"]) == {}


def test_a_transaction_has_every_read_and_the_writes(store: Store) -> None:
    with store.transaction() as tx:
        assert type(tx) is Tx
        assert isinstance(tx, Reader)
        assert tx.list_schemes() == []
    assert _methods(Reader) <= _methods(Tx)
    assert _methods(Tx) - _methods(Reader) == WRITES
    for name in _methods(Reader):
        assert getattr(Tx, name) is getattr(Reader, name), name  # the same function, no wrapper


def test_no_read_writes_or_locks() -> None:
    """The source of every read: nothing in it adds, flushes, inserts, updates or deletes,
    and only :data:`MAY_LOCK` name a lock (as ``with_for_update=for_update``)."""
    for name in sorted(_methods(Reader)):
        source = textwrap.dedent(inspect.getsource(getattr(Reader, name)))
        tree = ast.parse(source)
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not calls & {"update", "delete", "_insert"}, name
        used = {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        }
        assert not used & WRITES, name
        assert not any(marker in source for marker in WRITING), name
        if name in MAY_LOCK:
            assert "with_for_update=for_update" in source, name
        else:
            assert "with_for_update" not in source, name
