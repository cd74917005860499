"""The ASGI view at /graphql: context with per-request DataLoaders, orjson output, coded HTTP errors.

POSTed JSON queries that ``schema.compiled`` can render in one SQL statement skip strawberry's execution;
every other request, and every one the compiled path declines, runs through strawberry unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from core.settings import Settings
from schema.app import build_schema
from schema.compiled import CompiledQueries
from schema.graphiql import graphiql_asset_routes, graphiql_html
from schema.loaders import Context, make_context
from services.deps import Deps

# The same vocabulary as REST problem+json codes for the HTTP-level failures strawberry raises.
_HTTP_CODES = {
    400: "malformed_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@functools.lru_cache(maxsize=64)
def _media_type(content_type: str) -> str:
    """What strawberry reads a request's Content-Type as; clients send the same few values."""
    return parse_content_type(content_type)[0]


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends text frames: graphql-transport-ws is a text protocol, and orjson hands us bytes."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(self.view.encode_json_string(message))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter
    _compiled: CompiledQueries | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._takes: dict[tuple[str, str], bool] = {}

    @property
    def compiled(self) -> CompiledQueries:
        if self._compiled is None or self._compiled.schema is not self.schema:
            assert isinstance(self.schema, strawberry.Schema)
            self._compiled = CompiledQueries(self.schema)
        return self._compiled

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        deps: Deps = request.state.deps
        # A WebSocket context lives as long as the connection: batch, but never serve cached rows.
        cache = not isinstance(request, WebSocket)
        return make_context(deps, request=request, response=response, cache=cache)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_html())

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = self.decode_json(data)
        except orjson.JSONDecodeError as exc:  # also raised for invalid UTF-8
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object")
        return parsed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._compiled_response(request) or await self.run(request)
        except HTTPException as exc:
            code = _HTTP_CODES.get(exc.status_code, "malformed_request")
            body = {"errors": [{"message": exc.reason, "extensions": {"code": code}}]}
            response = Response(self.encode_json(body), exc.status_code, media_type="application/json")
        await response(scope, receive, send)

    def takes_compiled(self, content_type: str, accept: str) -> bool:
        """Whether a POST with these headers may be answered by the compiled path: a JSON body, and
        not a request for an incremental (streamed) response."""
        known = self._takes.get((content_type, accept))
        if known is None:
            known = "application/json" in _media_type(content_type) and not (
                self._get_stream_transport_from_headers({"accept": accept})
            )
            if len(self._takes) < 256:  # clients send a handful of header pairs
                self._takes[(content_type, accept)] = known
        return known

    async def execute_compiled(
        self, deps: Deps, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> bytes | None:
        """The response body of the compiled path, or None when strawberry must answer."""
        return await self.compiled.execute(deps, query, variables, operation_name)

    async def _compiled_response(self, request: Request) -> Response | None:
        """The answer of the compiled path, or None for strawberry (which reads the cached body again)."""
        if request.method != "POST":
            return None
        headers = request.headers
        if not self.takes_compiled(headers.get("content-type", ""), headers.get("accept", "")):
            return None
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None
        query = payload.get("query")
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(operation_name, str | None)
            or not isinstance(payload.get("extensions"), dict | None)
        ):
            return None
        deps: Deps = request.state.deps
        body = await self.execute_compiled(deps, query, variables, operation_name)
        if body is None:
            return None
        return Response(body, 200, media_type="application/json")


def graphql_view(settings: Settings, schema: strawberry.Schema | None = None) -> GraphQLView:
    return GraphQLView(
        schema or build_schema(settings),
        graphql_ide="graphiql" if settings.development else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
    )


def graphql_routes(settings: Settings, view: GraphQLView | None = None) -> list[BaseRoute]:
    """``/graphql`` (HTTP and WebSocket) served by ``view``, a new one unless the app shares its own."""
    view = view or graphql_view(settings)
    routes: list[BaseRoute] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
    ]
    return routes + graphiql_asset_routes() if settings.development else routes
