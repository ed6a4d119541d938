"""/api/v1/events: behaviour signals from marketing systems, one at a time or in batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from bot.api.deps import RuntimeDep, SessionDep, require_scopes
from bot.api.event_models import EventBatchIn, EventBatchOut, EventIn, EventResult
from bot.api.leads import api_actor
from storage.apikeys import EVENTS_WRITE
from storage.event_ingest import ingest_events
from storage.models import ApiKey

Writer = Annotated[ApiKey, Depends(require_scopes(EVENTS_WRITE))]


def build_events_router() -> APIRouter:
    router = APIRouter(prefix="/events", tags=["events"])

    @router.post(
        "",
        response_model=EventResult,
        status_code=status.HTTP_201_CREATED,
        summary="Record one behaviour event and re-score its lead",
        responses={200: {"model": EventResult, "description": "A duplicate idempotency key."}},
    )
    def record(
        body: EventIn, response: Response, key: Writer, rt: RuntimeDep, session: SessionDep
    ) -> EventResult:
        """201 when stored, 200 when the idempotency key was already used (nothing changes)."""
        [outcome] = ingest_events(
            session=session,
            events=[body.to_input()],
            rules=rt.rules,
            now=datetime.now(UTC),
            actor=api_actor(key),
        )
        session.commit()
        if not outcome.created:
            response.status_code = status.HTTP_200_OK
        return EventResult.of(outcome)

    @router.post(
        "/batch",
        response_model=EventBatchOut,
        summary="Record up to 1000 behaviour events in one transaction",
    )
    def record_batch(
        body: EventBatchIn, key: Writer, rt: RuntimeDep, session: SessionDep
    ) -> EventBatchOut:
        """All or nothing: an invalid event is a 422 naming its index, and nothing is stored."""
        outcomes = ingest_events(
            session=session,
            events=[item.to_input() for item in body.events],
            rules=rt.rules,
            now=datetime.now(UTC),
            actor=api_actor(key),
        )
        session.commit()
        results = [EventResult.of(outcome) for outcome in outcomes]
        created = sum(1 for r in results if r.status == "created")
        return EventBatchOut(created=created, duplicates=len(results) - created, results=results)

    return router
