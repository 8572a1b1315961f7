"""Remembered answers about short texts, for the verification hot path.

One issuer's credentials repeat the same few texts — context and schema URLs, the issuer,
status list URLs, a handful of dates — and each is checked several times per credential.
A :class:`TextMemo` remembers the answer of a pure function by the exact text. It is small
and forgets everything when full, and it keeps only texts up to a length, so hostile input
can neither grow it nor make it hold large strings; exceptions are never remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["TextMemo"]

V = TypeVar("V")
_UNKNOWN: Any = object()
"""What ``dict.get`` answers for a text not remembered (no computed answer is this); typed
``Any`` so that no ``cast`` call, a Python function, runs on every lookup."""


class TextMemo(Generic[V]):
    """``compute(text)``, remembered for up to ``max_entries`` texts of ``max_length``."""

    __slots__ = ("_answers", "_compute", "_max_entries", "_max_length", "known")

    def __init__(self, compute: Callable[[str], V], *, max_entries: int, max_length: int) -> None:
        self._compute = compute
        self._answers: dict[str, V] = {}
        self._max_entries = max_entries
        self._max_length = max_length
        self.known: Callable[[str], V | None] = self._answers.get
        """The remembered answer, or None: the dictionary's own lookup, a call into C, for
        callers on the hot path whose answers are never None (calling the memo itself
        runs a Python frame even when it remembers)."""

    def __call__(self, text: str) -> V:
        answers = self._answers
        # ``get`` with a marker, not ``try``/``except KeyError``: every credential brings a
        # few texts seen once (its id, its status entries' ids), and a raised KeyError
        # costs four times a lookup.
        known: V = answers.get(text, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        answer = self._compute(text)
        if len(text) <= self._max_length:
            if len(answers) >= self._max_entries:
                answers.clear()
            answers[text] = answer
        return answer

    def __len__(self) -> int:
        return len(self._answers)
