"""A server's startup heap is frozen out of the collector's scans, its garbage collected."""

from __future__ import annotations

import gc
import weakref

from issuer.heap import freeze_startup_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_the_heap_built_is_frozen_and_its_garbage_collected_first() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    kept = _Node()
    del garbage
    try:
        frozen = freeze_startup_heap()
        assert gone() is None  # collected, not frozen for the life of the process
        assert frozen == gc.get_freeze_count() > 0
        assert all(kept is not o for o in gc.get_objects())  # out of every collection
    finally:
        gc.unfreeze()
    assert any(kept is o for o in gc.get_objects())
