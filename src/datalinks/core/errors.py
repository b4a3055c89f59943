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


class ValidationFailed(BadRequest):
    """400 naming each offending field as `data.issues[{path, message}]`."""

    key = "validation_error"

    def __init__(self, issues: list[dict[str, str]]) -> None:
        first = issues[0] if issues else {"path": "", "message": "invalid request"}
        where = f"{first['path']}: " if first["path"] else ""
        super().__init__(f"{where}{first['message']}", data={"issues": issues})

    @classmethod
    def field(cls, path: str, message: str) -> ValidationFailed:
        return cls([{"path": path, "message": message}])


class NotAuthenticated(DatalinksError):
    status_code = 401
    key = "not_authenticated"


class AccessDenied(DatalinksError):
    status_code = 403
    key = "access_denied"


class NotFound(DatalinksError):
    status_code = 404
    key = "not_found"


class MethodNotAllowed(DatalinksError):
    status_code = 405
    key = "method_not_allowed"


class AlreadyExists(DatalinksError):
    status_code = 409
    key = "already_exists"


class LockTimeout(DatalinksError):
    status_code = 409
    type = "concurrency"
    key = "lock_timeout"


class PayloadTooLarge(DatalinksError):
    status_code = 413
    key = "payload_too_large"


class HeadersTooLarge(DatalinksError):
    status_code = 431
    key = "headers_too_large"


class UnsupportedMediaType(DatalinksError):
    status_code = 415
    key = "unsupported_media_type"


class RateLimited(DatalinksError):
    status_code = 429
    key = "rate_limit_exceeded"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


class NotImplementedByDatalinks(DatalinksError):
    status_code = 501
    key = "not_implemented"


class ServiceUnavailable(DatalinksError):
    status_code = 503
    type = "internal"
    key = "database_unavailable"
    retry_after = 1


class InternalError(DatalinksError):
    status_code = 500
    type = "internal"
    key = "internal_error"
