"""A helper process that ends when the process that started it ends, however that one ends.

Bulk issuance starts signing processes and a writing process that hold the body's decrypted
private key (:class:`issuer.credentials.signing.SignerHandOver`); ``certreg bench`` starts
servers. Their parent stops them when it finishes or fails, but a parent killed outright
(``kill -9``, the out-of-memory killer, a crashed interpreter) runs no cleanup code at all,
and a signing process blocked on its task queue would then live on with the key in memory,
for nobody. So each such process watches its parent itself.

A ``spawn`` child of :mod:`multiprocessing` has a *sentinel* for its parent: the read end of
the pipe its start-up data came through, whose write end only the parent holds (the
descriptor is not inherited by any other process). When the parent is gone, however it went,
the kernel closes that end and the sentinel becomes readable. :func:`die_with_parent` starts
a daemon thread that waits for exactly that and then ends the process at once with
:func:`os._exit`: no teardown, as if it had been killed too. Nothing is lost by it: each
transaction such a process runs is committed or rolled back whole, and an uncommitted one is
rolled back by the database as after any crash. A thread blocked in that wait holds no lock
and takes no turn, so it costs the work of the process nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

__all__ = ["PARENT_GONE_EXIT_CODE", "die_with_parent"]

PARENT_GONE_EXIT_CODE = 75
"""The exit status of a process ended because its parent was gone (``EX_TEMPFAIL``: the
work it was given was not finished; a rerun does it)."""


def die_with_parent() -> bool:
    """End this process as soon as the process that started it is gone.

    Call it first thing in the target or initializer of a process started with
    :mod:`multiprocessing`'s ``spawn`` (or ``forkserver``) context. Returns whether the
    parent is being watched: ``False`` in a process not started by :mod:`multiprocessing`,
    which has no parent to follow.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return False
    sentinel = parent.sentinel
    threading.Thread(
        target=_exit_when_ready, args=(sentinel,), name="certreg-parent-watch", daemon=True
    ).start()
    return True


def _exit_when_ready(sentinel: int) -> None:
    """Wait until ``sentinel`` is readable (its other end closed: the parent is gone), then
    end the process without running any of its cleanup: there is nobody left to clean up
    for."""
    wait([sentinel])
    os._exit(PARENT_GONE_EXIT_CODE)
