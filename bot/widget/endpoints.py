"""The widget's JSON endpoints: public config (for the loader); session, turn and restart (for
the frame). The live chat's endpoints are in `live_endpoints`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bot.runtime import Runtime
from bot.widget.chat import ChatView, open_chat, take_turn
from bot.widget.guard import WidgetLimits, allowed, enforce_visitor, load_widget
from bot.widget.loader import LOADER_VERSION
from bot.widget.restart import restart_chat
from bot.widget.schemas import (
    ConflictResponse,
    ErrorResponse,
    HistoryItem,
    LiveOut,
    PromptOut,
    RestartRequest,
    RestartResponse,
    SessionRequest,
    SessionResponse,
    TurnRequest,
    TurnResponse,
    WidgetConfigPublic,
)
from qualification.errors import PermissionDenied

ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorResponse, "description": "Origin not allowed or unknown visitor token"},
    404: {"model": ErrorResponse, "description": "No such widget"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    429: {"model": ErrorResponse, "description": "Rate limit reached (see Retry-After)"},
}


def cors(request: Request, response: Response) -> None:
    """Let the calling origin read the response (it was checked against the widget already)."""
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin


def _history(view: ChatView) -> list[HistoryItem]:
    return [HistoryItem.model_validate(item) for item in view.history]


def build_endpoints(rt: Runtime, limits: WidgetLimits) -> APIRouter:
    router = APIRouter(prefix="/widget/{widget_id}", tags=["widget"], responses=ERRORS)

    @router.get("/config", summary="Public configuration for the loader")
    def config(widget_id: str, request: Request, response: Response) -> WidgetConfigPublic:
        """Colours, position and greeting of an active widget; CORS for its allowed origins."""
        widget = load_widget(rt, request, widget_id)
        cors(request, response)
        response.headers["Cache-Control"] = "public, max-age=60"
        return WidgetConfigPublic(
            id=widget.public_id,
            greeting=widget.greeting,
            theme=widget.theme,
            frame_url=request.url_for("widget_frame", widget_id=widget.public_id).path,
            loader_version=LOADER_VERSION,
        )

    @router.post("/session", name="widget_session", summary="Open or resume a visitor's chat")
    def session(
        widget_id: str, body: SessionRequest, request: Request, response: Response
    ) -> SessionResponse:
        """Returns the visitor token (new when the sent one is unknown), history and prompt."""
        widget = load_widget(rt, request, widget_id)
        if not allowed(request, widget, body.host_origin):
            raise PermissionDenied("the embedding page's origin is not allowed for this widget")
        enforce_visitor(
            rt,
            request,
            kind="session",
            token=body.token,
            per_ip=limits.session_per_ip,
            per_token=limits.session_per_token,
        )
        view = open_chat(
            rt=rt,
            widget=widget,
            token=body.token,
            page_context=body.page.model_dump(exclude_none=True),
        )
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        return SessionResponse(
            token=view.token,
            history=_history(view),
            prompt=PromptOut.of(view.prompt),
            can_restart=view.can_restart,
            live=LiveOut.of(view.live),
            offer=view.offer,
        )

    @router.post(
        "/restart",
        name="widget_restart",
        summary="Start a new conversation after the chat ended",
        response_model=RestartResponse,
        responses={409: {"model": ConflictResponse, "description": "This visitor may not restart"}},
    )
    def restart(
        widget_id: str, body: RestartRequest, request: Request, response: Response
    ) -> RestartResponse | JSONResponse:
        """A new conversation for the visitor and lead when the chat has ended (same shape as
        the session answer). While the chat is still active it is returned as it is
        (`restarted: false`), so a double click starts one conversation. 409 with a message for
        the visitor when the lead is already with sales, disqualified, or waiting for a person.
        Counted against the session rate limits."""
        widget = load_widget(rt, request, widget_id)
        enforce_visitor(
            rt,
            request,
            kind="session",
            token=body.token,
            per_ip=limits.session_per_ip,
            per_token=limits.session_per_token,
        )
        result = restart_chat(rt=rt, widget=widget, token=body.token)
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        view = result.view
        if result.refused is not None:
            refusal = ConflictResponse(
                error="RestartRefused", detail=result.refused, prompt=PromptOut.of(view.prompt)
            )
            refused = JSONResponse(status_code=409, content=refusal.model_dump())
            cors(request, refused)
            refused.headers["Cache-Control"] = "no-store"
            return refused
        return RestartResponse(
            token=view.token,
            history=_history(view),
            prompt=PromptOut.of(view.prompt),
            can_restart=view.can_restart,
            live=LiveOut.of(view.live),
            offer=view.offer,
            restarted=result.restarted,
        )

    @router.post(
        "/turn",
        name="widget_turn",
        summary="Answer the current question",
        response_model=TurnResponse,
        responses={409: {"model": ConflictResponse, "description": "Another reply won"}},
    )
    def turn(
        widget_id: str, body: TurnRequest, request: Request, response: Response
    ) -> TurnResponse | JSONResponse:
        """Apply one answer; a repeated turn id returns the same reply without applying twice.
        While a live chat is open the text goes to the person (stored once, `replied: false`,
        its `seq`); the bot does not answer."""
        widget = load_widget(rt, request, widget_id)
        enforce_visitor(
            rt,
            request,
            kind="turn",
            token=body.token,
            per_ip=limits.turn_per_ip,
            per_token=limits.turn_per_token,
        )
        result = take_turn(
            rt=rt,
            widget=widget,
            token=body.token,
            turn_id=body.turn_id,
            text=body.text,
            expected_version=body.expected_version,
        )
        cors(request, response)
        response.headers["Cache-Control"] = "no-store"
        if result.conflict is not None:
            conflict = ConflictResponse(
                error="ConcurrentTurn", detail=result.conflict, prompt=PromptOut.of(result.prompt)
            )
            conflicted = JSONResponse(status_code=409, content=conflict.model_dump())
            cors(request, conflicted)
            return conflicted
        return TurnResponse(
            prompt=PromptOut.of(result.prompt),
            can_restart=result.can_restart,
            replied=result.replied,
            live=LiveOut.of(result.live),
            seq=result.seq,
            reply_seq=result.reply_seq,
        )

    return router
