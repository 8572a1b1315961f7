"""Which format a report is answered in, and the answers for files.

The management system's reports answer JSON unless asked otherwise: by ``Accept`` (the
media type with the highest ``q`` among those a report offers, ties going to the earlier)
or by ``?format=`` for a link or a spreadsheet's "from web" import, which cannot set
headers; ``format`` wins over ``Accept``. An ``Accept`` naming nothing a report offers gets
JSON, as before these formats existed, never a 406: a client that asks for ``text/html``
still gets the figures.
"""

from __future__ import annotations

from typing import Literal

from fastapi.responses import Response

__all__ = ["MEDIA_TYPES", "ReportFormat", "file_response", "negotiate"]

ReportFormat = Literal["json", "markdown", "csv", "pdf"]

MEDIA_TYPES: dict[str, ReportFormat] = {
    "application/json": "json",
    "text/markdown": "markdown",
    "text/csv": "csv",
    "application/pdf": "pdf",
}
_ANSWERED = {
    "csv": "text/csv; charset=utf-8; header=present",
    "pdf": "application/pdf",
}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(float(value.strip()), 1.0))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(
    accept: str | None, explicit: ReportFormat | None, offered: tuple[ReportFormat, ...]
) -> ReportFormat:
    """The format to answer in: ``explicit`` if given, else the best of ``Accept`` among
    ``offered``, else JSON."""
    if explicit is not None:
        return explicit
    best: tuple[float, ReportFormat] = (0.0, "json")
    for item in (accept or "")[:1000].split(","):
        media, *params = item.split(";")
        found = MEDIA_TYPES.get(media.strip().lower())
        if found is None or found not in offered:
            continue
        quality = _quality(params)
        if quality > best[0]:
            best = (quality, found)
    return best[1]


def file_response(content: bytes, kind: ReportFormat, filename: str) -> Response:
    """A CSV or PDF answer the browser saves as ``filename``; never cached by the way."""
    return Response(
        content,
        media_type=_ANSWERED[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
