from __future__ import annotations

from datalinks.core.pagination import Page
from datalinks.core.schemas import (
    TIMESTAMPS_EXAMPLE,
    NamedElementExport,
    NamedElementOut,
    NamedElementWrite,
    example,
)

EXAMPLE = {
    "id": "dlt_2b8f1c0a9e",
    "state": "READY",
    "errors": [],
    **TIMESTAMPS_EXAMPLE,
    "isDeactivated": False,
    "isReadOnly": False,
    "key": "contacts",
    "name": "Contacts",
    "uuid": "0b5c3c1e-4a2f-4f0e-9d51-6f3a8e2b7c10",
    "revision": "1",
}


class DataLinkTableWrite(NamedElementWrite):
    model_config = example({"name": "Contacts", "key": "contacts"})


class DataLinkTable(NamedElementOut):
    model_config = example(EXAMPLE)


class DataLinkTablePage(Page[DataLinkTable]):
    model_config = example({"items": [EXAMPLE]})


class DataLinkTableExport(NamedElementExport):
    model_config = example({key: EXAMPLE[key] for key in ("uuid", "key", "name")})
