"""HTTP read-through caching: REST GETs with ETag / 304 / Cache-Control, GraphQL queries by operation.

Both sit below authentication and rate limits (a hit is still an authenticated, counted request) and
above the router. A hit sends stored bytes: no parsing, validation, execution or rendering. The key is
sha256 of (normalised operation or path + sorted query, canonical variables, caller visibility); what
a response depends on (one article, or any list) picks the generation counters of
``services.reads_cache``, so an acknowledged write makes every affected entry unreachable at once.

The GraphQL front also does what must happen before strawberry sees a request: batching refused,
persisted operations resolved (APQ-style ``extensions.persistedQuery.sha256Hash``; keys flagged
"registered documents only" may run nothing else), tokens counted, and the limits of ``schema.limits``
checked with the request's variables.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    parse,
    print_ast,
)
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api._charge import READ_THROUGH_PREFIXES, lookup, settle
from api._graphql_ops import inspect_graphql
from api._request_body import buffer_body, replay
from api.auth import api_key_of
from core.errors import PayloadTooLarge
from core.settings import Settings
from schema.limits import TOO_MANY_TOKENS, Limits, check_document, limits_for
from services.deps import Deps
from services.keys import ApiKey, require_scope
from services.operations import find_operation
from services.reads_cache import (
    LIST_DEPENDENCIES,
    Entry,
    ReadsCache,
    RegistryUnavailable,
    article_dependencies,
    document_hash,
    reads_cache,
    request_digest,
)

log = logging.getLogger("api.caching")

GRAPHQL_PATH: Final = "/graphql"
REGISTERED_ONLY: Final = "tickertone.registered_only"
# Data changes with every write: caches may keep a copy but must revalidate (cheap with ETag -> 304).
DATA_CACHE_CONTROL: Final = "private, no-cache"
STATIC_CACHE_CONTROL: Final = "public, max-age=3600"
_STATIC_PATHS: Final = frozenset({"/v1/meta/sentiment-scale"})
_ARTICLE_PATH = re.compile(r"^/v1/articles/(\d{1,18})$")
# Without ``to`` the window ends with the bucket in progress, so the answer moves with the clock while
# no generation changes: the URL alone does not name the response and it must not be stored.
_CLOCK_RELATIVE_PATH = re.compile(r"^/v1/tickers/[^/]+/sentiment$")
CLOCK_RELATIVE_FIELDS: Final = frozenset({"sentimentSeries"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Response headers worth replaying from a stored REST entry (pagination links, content type).
_KEPT_HEADERS: Final = frozenset({"content-type", "link"})
_MAX_CACHED_BODY: Final = 2_000_000
_JSON_TYPES: Final = (b"application/json", b"application/graphql-response+json")


def require_registered_documents(scope: Scope) -> None:
    """Hook for authentication: this request may only run registered (trusted) GraphQL documents."""
    scope[REGISTERED_ONLY] = True


def registered_only(scope: Scope) -> bool:
    key = api_key_of(scope.get("state", {}))
    return bool(scope.get(REGISTERED_ONLY)) or (key is not None and key.persisted_only)


def visibility(key: ApiKey | None) -> str:
    """What the caller may see; responses are shared only between callers with the same value."""
    return "anonymous" if key is None else _scopes_visibility(key.scopes)


@functools.lru_cache(maxsize=64)  # a handful of scope sets exist
def _scopes_visibility(scopes: frozenset[str]) -> str:
    return "scopes:" + ",".join(sorted(scopes))


def visibility_of(scope: Scope) -> str:
    return visibility(api_key_of(scope.get("state", {})))


def _deps(scope: Scope) -> Deps | None:
    state = scope.get("state")
    deps = state.get("deps") if isinstance(state, Mapping) else None
    return deps if isinstance(deps, Deps) else None


@dataclass(slots=True)
class _Captured:
    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytes = b""


async def _run_captured(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> _Captured | None:
    """Run ``app`` and buffer its JSON response; anything else (an SSE stream, a file) goes straight
    through to ``send`` and the result is ``None``."""
    captured = _Captured()
    chunks: list[bytes] = []
    streaming = False

    async def capture(message: Message) -> None:
        nonlocal streaming
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            if not content_type.startswith(_JSON_TYPES):
                streaming = True
                await send(message)
                return
            captured.status = message["status"]
            captured.headers = headers
        elif message["type"] == "http.response.body":
            if streaming:
                await send(message)
            else:
                chunks.append(message.get("body", b""))
        else:
            await send(message)

    await app(scope, receive, capture)
    if streaming:
        return None
    captured.body = b"".join(chunks)
    return captured


async def _send(
    send: Send,
    status: int,
    body: bytes,
    headers: Sequence[tuple[str, str]],
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(0 if status == 304 else len(body)).encode()))
    raw.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if status == 304 else body})


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    candidates = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


# --------------------------------------------------------------------------------------------- REST


def rest_dependencies(path: str) -> tuple[str, ...]:
    match = _ARTICLE_PATH.match(path)
    if match is not None:
        return article_dependencies([int(match.group(1))])
    if path in _STATIC_PATHS:
        return ()
    return LIST_DEPENDENCIES


def _clock_relative(scope: Scope) -> bool:
    if not _CLOCK_RELATIVE_PATH.match(scope["path"]):
        return False
    names = {name for name, _ in parse_qsl(scope.get("query_string", b"").decode("latin-1"))}
    return "to" not in names


def rest_read_through(scope: Scope) -> bool:
    """Whether the response cache stores this request's answer (GET on a read path, not clock-bound)."""
    # HEAD passes by: its empty body must never be stored for a GET to find.
    return (
        scope["method"] == "GET"
        and scope["path"].startswith(READ_THROUGH_PREFIXES)
        and not _clock_relative(scope)
    )


def rest_digest(scope: Scope, host: str, key: ApiKey | None) -> str:
    # The host is part of the key: pagination links in a stored response are absolute URLs.
    return request_digest(
        "rest", host, scope["path"], _normalised_query(scope.get("query_string", b"")), visibility(key)
    )


async def send_rest_entry(
    send: Send,
    entry: Entry,
    if_none_match: str | None,
    *,
    path: str,
    hit: bool,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """A stored REST response: its headers, ``ETag``, ``Cache-Control``, or 304 when the client's
    copy is current; ``extra`` raw headers go last."""
    cache_control = STATIC_CACHE_CONTROL if path in _STATIC_PATHS else DATA_CACHE_CONTROL
    status = 304 if _etag_matches(if_none_match, entry.etag) else 200
    raw = [*_entry_headers(entry.headers, entry.etag, cache_control, hit, status == 304)]
    raw.append((b"content-length", b"0" if status == 304 else str(len(entry.body)).encode()))
    raw.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if status == 304 else entry.body})


# Polled entries are sent again and again: encode their headers once, not per hit.
@functools.lru_cache(maxsize=4096)
def _entry_headers(
    headers: tuple[tuple[str, str], ...], etag: str, cache_control: str, hit: bool, not_modified: bool
) -> tuple[tuple[bytes, bytes], ...]:
    pairs = [
        *headers,
        ("etag", etag),
        ("cache-control", cache_control),
        ("x-cache", "hit" if hit else "miss"),
    ]
    if not_modified:
        pairs = [h for h in pairs if h[0].lower() != "content-type"]
    return tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs)


# Pollers repeat the same few query strings; the result is a pure function of the bytes.
@functools.lru_cache(maxsize=4096)
def _normalised_query(query_string: bytes) -> str:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    # Stable by name only: repeated parameters keep their order.
    return urlencode(sorted(pairs, key=lambda p: p[0]))


class RestCacheMiddleware:
    """Read-through for ``GET /v1/...`` plus ``ETag``/``If-None-Match`` -> 304 and ``Cache-Control``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        deps = _deps(scope)
        if scope["type"] != "http" or not rest_read_through(scope) or deps is None:
            # A deferred charge passing by (a GraphQL request, a clock-relative series) is settled by
            # the GraphQL front below before anything runs.
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cache = reads_cache(deps)
        request_headers = Headers(scope=scope)
        if_none_match = request_headers.get("if-none-match")
        key = api_key_of(scope.get("state", {}))
        digest = rest_digest(scope, request_headers.get("host", ""), key)
        found = await lookup(scope, deps, digest, rest_dependencies(path))
        if isinstance(found, Entry):
            await send_rest_entry(send, found, if_none_match, path=path, hit=True)
            return
        captured = await _run_captured(self.app, scope, receive, send)
        if captured is None:
            return
        headers = captured.headers or []
        if captured.status != 200 or len(captured.body) > _MAX_CACHED_BODY:
            await send({"type": "http.response.start", "status": captured.status, "headers": headers})
            await send({"type": "http.response.body", "body": captured.body})
            return
        kept = tuple(
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in headers
            if k.decode("latin-1").lower() in _KEPT_HEADERS
        )
        entry = await cache.put(found, captured.body, kept)
        await send_rest_entry(send, entry, if_none_match, path=path, hit=False)


# ------------------------------------------------------------------------------------------ GraphQL


class GraphQLRejection(Exception):
    """A request refused before execution; ``more`` carries further errors (every limit broken)."""

    def __init__(
        self,
        message: str,
        code: str,
        *,
        status: int = 200,
        more: Sequence[GraphQLError] = (),
        **extensions: object,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.extensions: dict[str, object] = {"code": code, **extensions}
        self.more = list(more)


@dataclass(frozen=True, slots=True)
class _Document:
    digest: str
    node: DocumentNode


class _Documents:
    """Parsed documents by exact text (an LRU): a repeated query is parsed and printed once."""

    def __init__(self, *, max_tokens: int, size: int = 1024) -> None:
        self.max_tokens = max_tokens
        self.size = size
        self._items: OrderedDict[str, _Document] = OrderedDict()

    def get(self, text: str) -> _Document:
        found = self._items.get(text)
        if found is not None:
            self._items.move_to_end(text)
            return found
        try:
            node = parse(text, no_location=True, max_tokens=self.max_tokens)
        except GraphQLError as exc:
            if "tokens" in exc.message:
                raise GraphQLRejection(
                    f"the document has more than {self.max_tokens} tokens", TOO_MANY_TOKENS
                ) from exc
            raise GraphQLRejection(exc.message, "syntax_error") from exc
        # Printing the parsed document normalises whitespace, commas and comments, never literals.
        made = _Document(digest=request_digest(print_ast(node)), node=node)
        self._items[text] = made
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return made


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name is not None and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def _has_connection(
    node: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> bool:
    """Whether anything below lists other rows: a field taking ``first``, or ``Ticker.articles``
    (a connection even with its defaults); unknown fragments count as yes."""
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == "articles" or any(
                a.name.value == "first" for a in selection.arguments or ()
            ):
                return True
            if selection.selection_set is not None and _has_connection(
                selection.selection_set, fragments, seen
            ):
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _has_connection(selection.selection_set, fragments, seen):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None:
                return True
            if name not in seen and _has_connection(fragment.selection_set, fragments, seen | {name}):
                return True
    return False


# Per root field, where its article id comes from: ("literal", text) or ("variable", name); None when
# the operation depends on lists whatever the variables say.
DependencyPlan = tuple[tuple[str, str], ...] | None


def dependency_plan(document: DocumentNode, operation: OperationDefinitionNode) -> DependencyPlan:
    """Where each root field's article id comes from, or ``None`` when the operation reads lists.

    Only an operation whose every root field is ``article(id:)`` with no list below it depends on
    single-article generations; anything else depends on the list generation, which every write bumps.
    Worked out once per document; ``apply_dependency_plan`` adds the variables.
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    sources: list[tuple[str, str]] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value != "article" or selection.directives:
            return None
        value = next((a.value for a in selection.arguments or () if a.name.value == "id"), None)
        if isinstance(value, StringValueNode | IntValueNode):
            sources.append(("literal", value.value))
        elif isinstance(value, VariableNode):
            sources.append(("variable", value.name.value))
        else:
            return None
        if selection.selection_set is not None and _has_connection(selection.selection_set, fragments):
            return None
    return tuple(sources) or None


def apply_dependency_plan(plan: DependencyPlan, variables: Mapping[str, Any]) -> tuple[str, ...]:
    if plan is None:
        return LIST_DEPENDENCIES
    ids: list[int] = []
    for kind, text in plan:
        raw = text if kind == "literal" else variables.get(text)
        if not isinstance(raw, str | int) or not str(raw).isdigit():
            return LIST_DEPENDENCIES
        ids.append(int(raw))
    return article_dependencies(ids)


def _clock_relative_document(document: DocumentNode, variables: Mapping[str, Any]) -> bool:
    """Whether a series in ``document`` has no ``to``: its window then ends with the bucket in progress,
    so the same request gets another answer once the clock crosses a bucket boundary (never stored)."""

    def missing_to(field: FieldNode) -> bool:
        value = next((a.value for a in field.arguments or () if a.name.value == "to"), None)
        if isinstance(value, VariableNode):
            return variables.get(value.name.value) is None
        return value is None or isinstance(value, NullValueNode)

    def walk(node: SelectionSetNode) -> bool:
        for selection in node.selections:
            if (
                isinstance(selection, FieldNode)
                and selection.name.value in CLOCK_RELATIVE_FIELDS
                and missing_to(selection)
            ):
                return True
            inner = getattr(selection, "selection_set", None)
            if isinstance(inner, SelectionSetNode) and walk(inner):
                return True
        return False

    return any(
        walk(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    )


def _unavailable(body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, list[tuple[bytes, bytes]]]:
    """A query that got nothing because a backing service is down is a 503 with ``Retry-After``,
    as over REST, rather than a 200 carrying only an ``unavailable`` error."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 200, headers
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not errors or payload.get("data") is not None:
        return 200, headers
    codes = [e.get("extensions", {}).get("code") for e in errors if isinstance(e, dict)]
    if "unavailable" not in codes:
        return 200, headers
    retry = next(
        (e["extensions"].get("retry_after") for e in errors if e.get("extensions", {}).get("retry_after")), 1
    )
    return 503, [*headers, (b"retry-after", str(retry).encode())]


def _json_error(rejection: GraphQLRejection) -> tuple[int, bytes]:
    errors = [{"message": rejection.message, "extensions": rejection.extensions}]
    errors += [{"message": e.message, "extensions": e.extensions or {}} for e in rejection.more]
    return rejection.status, orjson.dumps({"errors": errors})


def operation_parts(
    query: object, payload: Mapping[str, Any]
) -> tuple[str, dict[str, Any], str | None] | None:
    """(query, variables, operationName) of a GraphQL request, or None when one has the wrong type
    (strawberry then answers with its own code)."""
    variables = payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if (
        not isinstance(query, str)
        or not isinstance(variables, dict)
        or not (operation_name is None or isinstance(operation_name, str))
    ):
        return None
    return query, variables, operation_name


@dataclass(frozen=True, slots=True)
class GraphQLRead:
    """What the response cache needs of one GraphQL request; ``depends_on`` is None when it must not
    be stored (not a query, no single operation, or a clock-relative series)."""

    document: _Document
    variables: bytes
    operation_name: str
    depends_on: tuple[str, ...] | None

    def digest(self, visibility: str) -> str:
        return request_digest(self.document.digest, self.variables, self.operation_name, visibility)


class GraphQLReads:
    """Parsed documents and dependency plans, shared by the hit path and the GraphQL front."""

    def __init__(self, settings: Settings, *, schema: GraphQLSchema) -> None:
        # The served schema's types: limits and cost are checked against what will execute.
        self.schema = schema
        self.limits: Limits = limits_for(settings)
        self.documents = _Documents(max_tokens=self.limits.max_tokens)
        # (document digest, id(operation)) -> (operation kept alive, its dependency plan)
        self._plans: dict[tuple[str, int], tuple[OperationDefinitionNode, DependencyPlan]] = {}
        self._limit_errors: dict[tuple[str, bytes, str], list[GraphQLError]] = {}

    def read(self, query: str, variables: Mapping[str, Any], operation_name: str | None) -> GraphQLRead:
        """``GraphQLRejection`` for a document that does not parse or is too long."""
        document = self.documents.get(query)
        operation = _operation(document.node, operation_name)
        depends_on: tuple[str, ...] | None = None
        if (
            operation is not None
            and operation.operation is OperationType.QUERY
            # A field is selected only by its name in the text: most documents skip the walk.
            and not (
                any(name in query for name in CLOCK_RELATIVE_FIELDS)
                and _clock_relative_document(document.node, variables)
            )
        ):
            depends_on = self._dependencies(document, operation, variables)
        return GraphQLRead(
            document=document,
            variables=orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
            operation_name=operation_name or "",
            depends_on=depends_on,
        )

    def limit_errors(self, read: GraphQLRead, variables: Mapping[str, Any]) -> list[GraphQLError]:
        """``schema.limits.check_document`` for this request, memoised: the walk is a pure function of
        the document, the variables and the operation name, and pollers repeat all three."""
        key = (read.document.digest, read.variables, read.operation_name)
        found = self._limit_errors.get(key)
        if found is None:
            found = self._limit_errors[key] = check_document(
                self.schema,
                read.document.node,
                limits=self.limits,
                variables=variables,
                operation_name=read.operation_name or None,
            )
            if len(self._limit_errors) > 1024:
                self._limit_errors.pop(next(iter(self._limit_errors)))
        return found

    def _dependencies(
        self, document: _Document, operation: OperationDefinitionNode, variables: Mapping[str, Any]
    ) -> tuple[str, ...]:
        """The generations this operation's response depends on (``dependency_plan``, memoised)."""
        key = (document.digest, id(operation))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = (operation, dependency_plan(document.node, operation))
            if len(self._plans) > 1024:
                self._plans.pop(next(iter(self._plans)))
        return apply_dependency_plan(plan[1], variables)


class GraphQLCacheMiddleware:
    """The GraphQL front: persisted operations, limits with variables, and the read-through cache."""

    def __init__(self, app: ASGIApp, *, reads: GraphQLReads) -> None:
        self.app = app
        self.reads = reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        deps = _deps(scope)
        if (
            scope["type"] != "http"
            or scope["path"] != GRAPHQL_PATH
            or scope["method"] != "POST"
            or deps is None
        ):
            await settle(scope)
            await self.app(scope, receive, send)
            return
        try:
            await self._handle(deps, scope, receive, send)
        except GraphQLRejection as rejection:
            # Refused requests are charged too: a flood of them is still a flood.
            await settle(scope)
            status, body = _json_error(rejection)
            await _send(send, status, body, [("content-type", "application/json")])

    async def _handle(self, deps: Deps, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body, receive = await buffer_body(scope, receive, limit=deps.settings.max_body_bytes)
        except PayloadTooLarge as exc:
            raise GraphQLRejection(exc.message, "payload_too_large", status=413) from exc
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = None
        if isinstance(payload, list):
            raise GraphQLRejection(
                "batching is disabled: send one operation per request", "batching_disabled", status=400
            )
        if not isinstance(payload, dict):
            await settle(scope)
            await self.app(scope, receive, send)  # strawberry answers malformed bodies with its own codes
            return
        cache = reads_cache(deps)
        query = await self._query_text(scope, deps, cache, payload)
        if query is not payload.get("query"):
            clean = {k: v for k, v in payload.items() if k != "extensions"}
            clean["query"] = query
            body = orjson.dumps(clean)
            scope["tickertone.body"] = body
            receive = replay(body, receive)
            self._require_scopes(scope, body)
        parts = operation_parts(query, payload)
        if parts is None:
            await settle(scope)
            await self.app(scope, receive, send)
            return
        query, variables, operation_name = parts
        read = self.reads.read(query, variables, operation_name)
        if read.depends_on is None or not cache.enabled:
            self._check_limits(read, variables)
            await settle(scope)
            await self.app(scope, receive, send)
            return
        found = await lookup(scope, deps, read.digest(visibility_of(scope)), read.depends_on)
        if isinstance(found, Entry):
            await _send(send, 200, found.body, [("content-type", "application/json"), ("x-cache", "hit")])
            return
        # A cached entry passed these checks when it was built; only misses pay for them.
        self._check_limits(read, variables)
        captured = await _run_captured(self.app, scope, receive, send)
        if captured is None:
            return
        headers = captured.headers or []
        if captured.status == 200 and b'"unavailable"' in captured.body:
            captured.status, headers = _unavailable(captured.body, headers)
        if (
            captured.status == 200
            and b'"errors"' not in captured.body
            and len(captured.body) <= _MAX_CACHED_BODY
        ):
            await cache.put(found, captured.body)
            headers = [*headers, (b"x-cache", b"miss")]
        await send({"type": "http.response.start", "status": captured.status, "headers": headers})
        await send({"type": "http.response.body", "body": captured.body})

    def _check_limits(self, read: GraphQLRead, variables: Mapping[str, Any]) -> None:
        errors = self.reads.limit_errors(read, variables)
        if errors:
            first = errors[0]
            extensions = dict(first.extensions or {})
            code = str(extensions.pop("code", "invalid_query"))
            raise GraphQLRejection(first.message, code, more=errors[1:], **extensions)

    @staticmethod
    def _require_scopes(scope: Scope, body: bytes) -> None:
        """Authentication saw only a hash; the resolved document may be a mutation needing more."""
        key = api_key_of(scope.get("state", {}))
        if key is None:
            return
        call = inspect_graphql(method="POST", query_string=b"", body=body)
        try:
            for needed in sorted(call.scopes):
                require_scope(key, needed)
        except Exception as exc:
            raise GraphQLRejection(str(exc), "forbidden", status=403) from exc

    async def _query_text(
        self, scope: Scope, deps: Deps, cache: ReadsCache, payload: Mapping[str, Any]
    ) -> object:
        """The document to run: the text sent, or the registered one a persisted-query hash names."""
        query = payload.get("query")
        restricted = registered_only(scope)
        extensions = payload.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        sha: str | None = None
        if isinstance(persisted, dict):
            candidate = persisted.get("sha256Hash")
            if not isinstance(candidate, str) or not _SHA256.match(candidate):
                raise GraphQLRejection("persistedQuery.sha256Hash must be 64 hex digits", "invalid_query")
            sha = candidate
        elif restricted and isinstance(query, str):
            sha = document_hash(query)
        elif restricted:
            raise GraphQLRejection(
                "this API key may only run registered documents", "persisted_query_required"
            )
        if sha is None:
            return query
        if isinstance(query, str) and document_hash(query) != sha:
            raise GraphQLRejection(
                "the query does not match persistedQuery.sha256Hash", "persisted_query_hash_mismatch"
            )
        try:
            if query is None or restricted:
                registered = await find_operation(deps, sha256=sha, trusted_only=restricted)
                if registered is None:
                    code = "persisted_query_required" if restricted else "persisted_query_not_found"
                    raise GraphQLRejection("PersistedQueryNotFound: unknown document hash", code)
                return registered
            # APQ: hash and text together register the text for later hash-only requests.
            await cache.register_operation(query, trusted=False)
        except RegistryUnavailable as exc:
            if query is None or restricted:
                raise GraphQLRejection(
                    "the persisted-operation registry is unavailable; retry with the full document",
                    "unavailable",
                    status=503,
                    retry_after=1,
                ) from exc
        return query


def middleware(reads: GraphQLReads) -> list[Middleware]:
    """Both read-throughs, innermost last; they go below authentication and rate limits."""
    return [
        Middleware(RestCacheMiddleware),
        Middleware(GraphQLCacheMiddleware, reads=reads),
    ]
