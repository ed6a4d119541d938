"""The widget's live chat endpoints: take the offer to talk to someone now, ask for a
follow-up, read new messages (the polling fallback) and stream them (server-sent events).

All are POSTs with the visitor token in the body, so it is never in a URL or an access log.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from bot.runtime import Runtime
from bot.widget.endpoints import ERRORS, cors
from bot.widget.guard import WidgetLimits, enforce_visitor, load_widget
from bot.widget.live import (
    ActionResult,
    conversation_of,
    read_since,
    request_follow_up,
    request_live,
)
from bot.widget.live_hub import LiveHub
from bot.widget.live_schemas import (
    FollowUpRefused,
    FollowUpRequest,
    MessagesRequest,
    MessagesResponse,
    OfflineResponse,
    StateOut,
    TokenRequest,
)
from bot.widget.schemas import ErrorResponse, HistoryItem
from bot.widget.stream import live_events
from storage.models import Widget

STREAM_RETRY_AFTER = 5


def build_live_endpoints(rt: Runtime, limits: WidgetLimits, hub: LiveHub) -> APIRouter:
    router = APIRouter(prefix="/widget/{widget_id}", tags=["widget"], responses=ERRORS)

    def guard(widget_id: str, request: Request, token: str) -> Widget:
        widget = load_widget(rt, request, widget_id)
        enforce_visitor(
            rt,
            request,
            kind="live",
            token=token,
            per_ip=limits.live_per_ip,
            per_token=limits.live_per_token,
        )
        return widget

    def answer(
        request: Request, status: int, body: ErrorResponse | OfflineResponse | FollowUpRefused
    ) -> JSONResponse:
        response = JSONResponse(status_code=status, content=body.model_dump(mode="json"))
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        return response

    def state(request: Request, response: Response, result: ActionResult) -> StateOut:
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        return StateOut.of(result.view)

    @router.post(
        "/live",
        name="widget_live",
        summary="Talk to someone now",
        response_model=StateOut,
        responses={409: {"model": OfflineResponse, "description": "Nobody can chat live now"}},
    )
    def take_live_offer(
        widget_id: str, body: TokenRequest, request: Request, response: Response
    ) -> StateOut | JSONResponse:
        """Ask for a person after the questions: a waiting live chat (the same one when asked
        twice). 409 with the note for the visitor and the follow-up offer when nobody can take
        it now (outside the hours, or live chat is off)."""
        widget = guard(widget_id, request, body.token)
        result = request_live(rt=rt, widget=widget, token=body.token)
        if result.refused is not None:
            refusal = OfflineResponse(
                error="LiveChatClosed", detail=result.refused, state=StateOut.of(result.view)
            )
            return answer(request, 409, refusal)
        return state(request, response, result)

    @router.post(
        "/followup",
        name="widget_followup",
        summary="Ask to be emailed or to book a meeting",
        response_model=StateOut,
        responses={422: {"model": FollowUpRefused, "description": "An email address is needed"}},
    )
    def follow_up(
        widget_id: str, body: FollowUpRequest, request: Request, response: Response
    ) -> StateOut | JSONResponse:
        """Record the wish (the team is told in Slack). 422 saying why when an email address is
        needed: none is on file and none, or no valid one, was given."""
        widget = guard(widget_id, request, body.token)
        result = request_follow_up(
            rt=rt, widget=widget, token=body.token, kind=body.kind, email=body.email
        )
        if result.refused is not None:
            refusal = FollowUpRefused(
                error="EmailNeeded", detail=result.refused, state=StateOut.of(result.view)
            )
            return answer(request, 422, refusal)
        return state(request, response, result)

    @router.post(
        "/messages",
        name="widget_messages",
        summary="Messages after a seq (polling, and catching up)",
    )
    def messages(
        widget_id: str, body: MessagesRequest, request: Request, response: Response
    ) -> MessagesResponse:
        """The conversation's messages after `after` (at most 200, in order) and the live state:
        what a client without a stream polls, and what a reconnecting client missed."""
        widget = guard(widget_id, request, body.token)
        conversation_id = conversation_of(rt=rt, widget=widget, token=body.token)
        batch = read_since(rt=rt, conversation_id=conversation_id, after=body.after)
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        current = StateOut.of(batch.view)
        return MessagesResponse(
            **current.model_dump(),
            messages=[HistoryItem.model_validate(item) for item in batch.items],
            more=batch.more,
        )

    @router.post(
        "/stream",
        name="widget_stream",
        summary="New messages as server-sent events",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
            503: {"model": ErrorResponse, "description": "No stream now: poll /messages"},
        },
    )
    def stream(widget_id: str, body: MessagesRequest, request: Request) -> Response:
        """`text/event-stream`: the messages after `after`, then each new one as it is stored
        (`id: <seq>`, `event: message`), a `live` event when the live chat, prompt or restart
        flag change, and a comment every ~15 s. It ends after a few minutes; reconnect with the
        last seq. 503 when this server takes no more streams: poll `/messages` instead."""
        widget = guard(widget_id, request, body.token)
        conversation_id = conversation_of(rt=rt, widget=widget, token=body.token)
        if not hub.accepting:
            busy = answer(
                request,
                503,
                ErrorResponse(error="StreamUnavailable", detail="Poll for new messages instead."),
            )
            busy.headers["Retry-After"] = str(STREAM_RETRY_AFTER)
            return busy
        events = live_events(
            rt=rt, hub=hub, conversation_id=conversation_id, after=body.after, limits=limits
        )
        response = StreamingResponse(events, media_type="text/event-stream")
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass events on at once
        return response

    return router
