"""One error hierarchy, rendered in Membrane's shape by the handlers in app.py.

The SDK picks its error class from `type` alone and keeps `key` in `error.data.key`, so every
non-2xx answer carries `{type, key, message, data?}` and nothing else, rendered by
`render` below wherever it is sent from (the exception handlers, the middlewares, the hot path).
"""

from __future__ import annotations

import json
from typing import Any


class DatalinksError(Exception):
    status_code = 400
    type = "bad_request"
    # Clients switch on `key` (the SDK keeps it in `error.data.key`): every error has one.
    key = "bad_request"
    # Seconds for the Retry-After header, on answers that tell the client to come back.
    retry_after: int | None = None

    def __init_subclass__(
        cls, *, status: int | None = None, key: str | None = None, **kwargs: Any
    ) -> None:
        """A kind of error says its status and key where it is named:
        `class NotFound(DatalinksError, status=404, key="not_found")`."""
        super().__init_subclass__(**kwargs)
        cls.status_code = status or cls.status_code
        cls.key = key or cls.key

    def __init__(
        self, message: str, *, data: dict[str, Any] | None = None, key: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        if key is not None:
            self.key = key

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "key": self.key, "message": self.message}
        if self.data:
            out["data"] = self.data
        return out

    def headers(self) -> list[tuple[str, str]]:
        return [("retry-after", str(self.retry_after))] if self.retry_after else []


def render(exc: DatalinksError) -> bytes:
    """The one JSON text of an error body (compact, UTF-8, as FastAPI's JSONResponse writes)."""
    return json.dumps(
        exc.body(), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()


class BadRequest(DatalinksError):
    pass


class ValidationFailed(BadRequest, key="validation_error"):
    """400 naming each offending field as `data.issues[{path, message}]`."""

    def __init__(self, issues: list[dict[str, str]]) -> None:
        first = issues[0] if issues else {"path": "", "message": "invalid request"}
        where = f"{first['path']}: " if first["path"] else ""
        super().__init__(f"{where}{first['message']}", data={"issues": issues})

    @classmethod
    def field(cls, path: str, message: str) -> ValidationFailed:
        return cls([{"path": path, "message": message}])


class NotAuthenticated(DatalinksError, status=401, key="not_authenticated"):
    """The bearer token is missing, malformed, badly signed or expired."""


class AccessDenied(DatalinksError, status=403, key="access_denied"):
    """The operation needs a workspace admin token."""


class NotFound(DatalinksError, status=404, key="not_found"):
    """Nothing by that name in the caller's scope (another customer's elements are 404 too,
    never 403)."""


class MethodNotAllowed(DatalinksError, status=405, key="method_not_allowed"):
    """The path exists, but not with this method."""


class AlreadyExists(DatalinksError, status=409, key="already_exists"):
    """A live element already holds that key."""


class LockTimeout(DatalinksError, status=409, key="lock_timeout"):
    """A row lock could not be taken in time, or the change conflicted with a concurrent one:
    retry."""

    type = "concurrency"


class PayloadTooLarge(DatalinksError, status=413, key="payload_too_large"):
    """The body is larger than the server's limit (DATALINKS_MAX_BODY_BYTES)."""


class HeadersTooLarge(DatalinksError, status=431, key="headers_too_large"):
    """The request head is larger than the server's limit (DATALINKS_MAX_HEADER_BYTES)."""


class UnsupportedMediaType(DatalinksError, status=415, key="unsupported_media_type"):
    """A non-empty body was not sent as `application/json`."""


class RateLimited(DatalinksError, status=429, key="rate_limit_exceeded"):
    """Too many requests with this token (when the server limits the rate); retry after
    `Retry-After` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


class NotImplementedByDatalinks(DatalinksError, status=501, key="not_implemented"):
    """A Membrane operation that needs a live connector, which datalinks does not run."""


class ServiceUnavailable(DatalinksError, status=503, key="database_unavailable"):
    """The database is unreachable, busy or too slow; retry after `Retry-After` seconds."""

    type = "internal"
    retry_after = 1


class InternalError(DatalinksError, status=500, key="internal_error"):
    """A bug."""

    type = "internal"
