"""The verifier's remembered answers stay small whatever texts it is shown."""

from __future__ import annotations

import pytest

from verifier.memo import TextMemo


def test_answers_are_remembered_and_the_memo_stays_bounded() -> None:
    calls: list[str] = []

    def length(text: str) -> int:
        calls.append(text)
        return len(text)

    memo = TextMemo(length, max_entries=3, max_length=5)
    assert memo("ab") == 2
    assert memo("ab") == 2
    assert calls == ["ab"]
    for text in ("c", "d", "e", "f"):  # the fourth new text empties it first
        memo(text)
    assert len(memo) <= 3
    assert memo("long text") == 9
    assert memo("long text") == 9
    assert calls.count("long text") == 2  # too long to keep


def test_failures_are_never_remembered() -> None:
    calls = 0

    def refuse(text: str) -> int:
        nonlocal calls
        calls += 1
        raise ValueError(text)

    memo = TextMemo(refuse, max_entries=8, max_length=64)
    for _ in range(2):
        with pytest.raises(ValueError, match="bad"):
            memo("bad")
    assert calls == 2
    assert len(memo) == 0


def test_known_answers_only_what_is_remembered_and_forgets_with_the_memo() -> None:
    memo = TextMemo(len, max_entries=2, max_length=8)
    assert memo.known("ab") is None  # not computed by a lookup
    assert memo("ab") == 2
    assert memo.known("ab") == 2
    memo("c")
    memo("d")  # the third new text empties the memo first
    assert memo.known("ab") is None
    assert memo.known("d") == 1
