"""Refusing a status list older than one already seen: replay protection between fetches.

A status list is signed, but a signature says nothing about *when* it was current. Whoever
answers for the registry's address — a cache, a mirror, a man in the middle — can serve a
list signed before a suspension or a withdrawal, and the certificate would verify as valid
again. Two rules close that door. A list past its ``validUntil`` is refused
(:func:`verifier.status.verify_status_list`), which bounds a replay to the list's short
validity; and a verifier remembers, per list URL, the newest ``validFrom`` it has accepted
and refuses an older one (:class:`SeenLists`), which stops a replay at once for anyone who
has seen the newer list. Both refusals are "cannot confirm", never "not valid": the
credential itself may be fine.

The memory lives as long as the :class:`~verifier.Verifier` that holds it (the registry's
pages, a VC-API service); a program that verifies once and exits (``certreg verify``) keeps
it in a file between runs (:meth:`SeenLists.snapshot`, and the constructor's ``seen``).
Equal ``validFrom`` values are accepted: lists are dated to the second, and an issuer may
publish the same list twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from verifier.errors import StatusVerificationError

__all__ = ["SeenLists"]

DEFAULT_MAX_LISTS = 100_000
"""An issuer of a million certificates has a few dozen lists; this is room for thousands of
issuers, and a bound on what hostile credentials naming endless list URLs can make it hold."""


class SeenLists:
    """The newest ``validFrom`` accepted per status list URL; refuses going back in time."""

    def __init__(
        self, seen: Mapping[str, datetime] | None = None, *, max_lists: int = DEFAULT_MAX_LISTS
    ) -> None:
        self._newest: dict[str, datetime] = dict(seen or {})
        self._max_lists = max_lists
        self._lock = threading.Lock()

    def check(self, url: str, valid_from: datetime | None) -> None:
        """Record a freshly verified list of ``url`` dated ``valid_from``, or raise
        :class:`~verifier.errors.StatusVerificationError` (undecided) if a newer one of the
        same URL was seen before. Called once per fetch, not per credential."""
        with self._lock:
            newest = self._newest.get(url)
            if valid_from is None:
                if newest is not None:
                    # A dated list was seen here: an undated one cannot be placed after it.
                    raise StatusVerificationError(
                        f"the status list at {url[:100]} has no validFrom, where an earlier "
                        "one had: it may be an old copy",
                        reason="replayed-list",
                    )
                return
            if newest is not None and valid_from < newest:
                raise StatusVerificationError(
                    f"the status list at {url[:100]} is older (valid from "
                    f"{_stamp(valid_from)}) than one already seen (valid from {_stamp(newest)}): "
                    "an old copy is being served, so the current status cannot be confirmed",
                    reason="replayed-list",
                )
            if newest is None and len(self._newest) >= self._max_lists:
                # Forget the stalest half rather than refuse to remember: losing an entry
                # only loses the protection for that list, as for a new verifier.
                kept = sorted(self._newest.items(), key=lambda item: item[1])
                self._newest = dict(kept[len(kept) // 2 :])
            self._newest[url] = valid_from

    def snapshot(self) -> dict[str, datetime]:
        """A copy of what is remembered, to keep between runs."""
        with self._lock:
            return dict(self._newest)


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
