"""The heap of a server process: frozen once it is built, so the collector stops rescanning it.

A registry worker holds some 125,000 objects the collector tracks (modules, the app, its
routes and schemas, the store) for its whole life. A full collection scans every one —
50–70 ms here when idle, over 100 ms under load — and runs whenever objects surviving the
younger generations have grown by a quarter, every 20–30 s at 10,000 lookups a second, and
every request in flight on that worker waits for it (docs/PERFORMANCE.md). Frozen, those
objects are left out of every collection; what the server makes afterwards is collected as
before.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_heap"]


def freeze_startup_heap() -> int:
    """Collect what is garbage already, then move every object alive into the collector's
    permanent generation (:func:`gc.freeze`); returns how many objects are frozen.

    Call it once a server process has built what it serves, just before it serves: an
    object frozen is never collected, so freezing again and again would keep garbage.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
