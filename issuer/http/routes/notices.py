"""Back office routes for the notices owed to certified persons: staff see them by state
(the dead ones, the ones without an e-mail address to post by hand) and put one back in the
queue once its cause is fixed. Registrars and administrators, who keep the notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.http.bodies.notices import NoticeOut, NoticePageOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import NOTICE_KEEPERS
from issuer.model import NoticeState
from issuer.process import notices
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["notices"])

Keeper = Annotated[Actor, allow(*NOTICE_KEEPERS)]


@router.get("/notices")
def list_notices(
    actor: Keeper,
    services: ServicesDep,
    state: Annotated[
        list[NoticeState] | None,
        Query(max_length=6, description="only notices in these states (repeat for several)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> NoticePageOut:
    """Notices owed to persons, oldest first, a page at a time: ``state=dead`` for those
    the sender gave up on, ``state=no-address`` for those to print and post."""
    with services.tx() as tx:
        page = notices.list_notices(tx, states=tuple(state or ()), limit=limit, offset=offset)
    return NoticePageOut.of(page, limit=limit, offset=offset)


@router.post(
    "/notices/{notice_id}/retry",
    responses=problem_responses(
        404, 409, said={409: "The notice is not dead, unaddressed or waiting to be retried"}
    ),
)
def retry_notice(notice_id: str, actor: Keeper, services: ServicesDep) -> NoticeOut:
    """Put a dead, unaddressed or waiting notice back in the queue, due now, with a fresh
    count of attempts (after correcting the person's address, say)."""
    with services.tx() as tx:
        notice = notices.retry(tx, actor=actor, now=services.now(), notice_id=notice_id)
    return NoticeOut.of(notice)
