"""Router defaults shared by every domain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter


class ApiRouter(APIRouter):
    """Optional fields without a value are omitted, never `null` (the SDK's zod schemas are
    `optional()`, not `nullable()`), so every route drops None from its response."""

    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_none"] = True
        super().add_api_route(path, endpoint, **kwargs)
