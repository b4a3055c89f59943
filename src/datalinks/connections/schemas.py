from __future__ import annotations

from typing import Any

from pydantic import Field

from datalinks.core.pagination import Page
from datalinks.core.schemas import (
    ApiModel,
    ElementKey,
    JsonObject,
    Key,
    Name,
    RequestModel,
    Timestamp,
)


class ConnectionWrite(RequestModel):
    name: Name | None = None
    key: ElementKey | None = None
    integration_id: Key | None = None
    integration_key: Key | None = None
    # Admin tokens name the owner; customer tokens always own what they create.
    user_id: Key | None = None
    tenant_id: Key | None = None
    meta: JsonObject | None = None
    is_test: bool | None = None
    # Accepted for SDK compatibility and ignored: datalinks holds no credentials.
    credentials: Any | None = Field(default=None, exclude=True)


class Connection(ApiModel):
    id: str
    name: str
    key: str | None = None
    integration_id: str
    user_id: str
    tenant_id: str
    meta: JsonObject | None = None
    is_test: bool
    connected: bool = True
    disconnected: bool = False
    state: str = "READY"
    errors: list[Any] = Field(default_factory=list)
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None = None
    is_deactivated: bool = False


class ConnectionPage(Page[Connection]):
    pass
