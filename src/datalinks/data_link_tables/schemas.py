from __future__ import annotations

from datalinks.core.schemas import (
    ApiModel,
    ElementOut,
    JsonObject,
    Key,
    Name,
    RequestModel,
    Revision,
    Text,
)


class DataLinkTableWrite(RequestModel):
    key: Key | None = None
    name: Name | None = None
    uuid: Key | None = None
    description: Text | None = None
    meta: JsonObject | None = None


class DataLinkTable(ElementOut):
    key: str
    name: str
    uuid: str
    description: str | None = None
    meta: JsonObject | None = None
    revision: Revision


class DataLinkTableExport(ApiModel):
    uuid: str
    key: str
    name: str
    description: str | None = None
    meta: JsonObject | None = None
