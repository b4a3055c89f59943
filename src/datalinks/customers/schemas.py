from __future__ import annotations

from typing import Any

from datalinks.core.pagination import Page
from datalinks.core.schemas import ApiModel, JsonObject, Key, Name, RequestModel, Timestamp


class CustomerWrite(RequestModel):
    name: Name | None = None
    internal_id: Key | None = None
    meta: JsonObject | None = None
    fields: JsonObject | None = None
    credentials: Any | None = None
    is_test: bool | None = None


class Customer(ApiModel):
    id: str
    name: str
    internal_id: str
    meta: JsonObject | None = None
    fields: JsonObject | None = None
    is_test: bool
    is_active: bool
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None = None


class CustomerPage(Page[Customer]):
    pass
