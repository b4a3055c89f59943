from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from datalinks.core.pagination import Page
from datalinks.core.schemas import JsonObject, Key, NamedElementOut, NamedElementWrite, Text


class IntegrationWrite(NamedElementWrite):
    parameters: JsonObject | None = None
    logo_uri: Text | None = None
    connector_id: Key | None = None
    connector_version: Key | None = None
    external_app_id: Key | None = None


class Integration(NamedElementOut):
    parameters: JsonObject | None = None
    # The SDK schema requires logoUri: "" stands for "none".
    logo_uri: Annotated[str, BeforeValidator(lambda value: value or "")] = ""
    connector_id: str | None = None
    connector_version: str | None = None
    external_app_id: str | None = None


class IntegrationPage(Page[Integration]):
    pass
