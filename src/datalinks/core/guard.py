"""ASGI middleware that screens every request before the app sees it.

It assigns the request id, enforces the body size limit while the body streams in, and turns
away what PostgreSQL or the JSON parser would choke on (NUL bytes, invalid UTF-8, malformed or
absurdly nested JSON, non-finite numbers, bodies that are not JSON) with a 4xx in Membrane's
shape, so no handler ever half-processes such a request.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datalinks.core.errors import (
    BadRequest,
    DatalinksError,
    PayloadTooLarge,
    UnsupportedMediaType,
    render,
)
from datalinks.core.logging import request_id_var

log = logging.getLogger("datalinks.access")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def check_json(body: bytes, max_depth: int) -> None:
    try:
        document = json.loads(
            body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_parse_float
        )
    except UnicodeDecodeError:
        raise BadRequest("Request body is not valid UTF-8") from None
    except RecursionError:
        raise BadRequest(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise BadRequest(f"Malformed JSON body: {exc}") from None
    problem = json_value_problem(document, max_depth)
    if problem:
        raise BadRequest(problem)


def json_value_problem(document: Any, max_depth: int) -> str | None:
    """Why PostgreSQL's jsonb would refuse a parsed JSON value (or None when it would not)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "Strings must not contain NUL characters"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return "Numbers must be finite"
        elif isinstance(value, dict | list):
            if depth > max_depth:
                return f"JSON nested deeper than {max_depth} levels"
            if isinstance(value, dict):
                for key, item in value.items():
                    if "\x00" in key:
                        return "Keys must not contain NUL characters"
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


def check_url(scope: Scope) -> None:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    for part, what in ((raw_path, "path"), (scope.get("query_string", b""), "query string")):
        decoded = unquote_to_bytes(part.replace(b"+", b" "))
        if b"\x00" in decoded:
            raise BadRequest(f"The {what} must not contain NUL characters")
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"The {what} is not valid UTF-8") from None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_json_depth: int,
        streamed_uploads: re.Pattern[str] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        # POST paths whose handler reads the body as a stream and screens it itself (link
        # imports: any size, not JSON); the body is passed through unread.
        self.streamed_uploads = streamed_uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        supplied = headers.get("x-request-id", "")
        request_id = supplied if REQUEST_ID_PATTERN.match(supplied) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            try:
                check_url(scope)
                streamed = self._streamed(scope)
                body = b"" if streamed else await self._read_body(headers, receive)
                if body:
                    # Without this, FastAPI hands a form or untyped body to the model as bytes
                    # and answers with a baffling "Input should be a valid dictionary".
                    if not _is_json(headers.get("content-type", "")):
                        raise UnsupportedMediaType(
                            "Request bodies must be JSON, sent with Content-Type: application/json"
                        )
                    check_json(body, self.max_json_depth)
            except DatalinksError as exc:
                await _send_error(exc, send_with_id)
                return
            await self.app(scope, receive if streamed else replay_body(body, receive), send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status["code"],
                    "durationMs": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)

    def _streamed(self, scope: Scope) -> bool:
        pattern = self.streamed_uploads
        return (
            pattern is not None
            and scope["method"] == "POST"
            and pattern.fullmatch(scope["path"]) is not None
        )

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise BadRequest("Content-Length is not a number")
            if int(declared) > self.max_body_bytes:
                raise PayloadTooLarge(f"Request body is larger than {self.max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise PayloadTooLarge(f"Request body is larger than {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over `body`, already read whole, then what `receive` brings."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_error(exc: DatalinksError, send: Send) -> None:
    payload = render(exc)
    headers = [(name.encode(), value.encode()) for name, value in exc.headers()]
    await send(
        {
            "type": "http.response.start",
            "status": exc.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
