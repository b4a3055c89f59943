from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from datalinks.core.pagination import Page
from datalinks.core.schemas import TIMESTAMPS_EXAMPLE, ApiModel, RequestModel, Timestamp, example
from datalinks.models.data_link_table import RECORD_ID_MAX

EXAMPLE = {
    "id": "1024",
    "dataLinkTableInstanceId": "dlti_7c41e2d9b0",
    "externalRecordId": "hs-42",
    "appRecordId": "user-7",
    "direction": "import",
    **TIMESTAMPS_EXAMPLE,
}


class Direction(StrEnum):
    IMPORT = "import"
    EXPORT = "export"
    # Only on input: one import and one export link.
    BOTH = "both"

    def stored(self) -> tuple[str, ...]:
        return ("import", "export") if self is Direction.BOTH else (self.value,)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


RecordId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=RECORD_ID_MAX),
    AfterValidator(_no_nul),
]


class DataLinkWrite(RequestModel):
    model_config = example(
        {"externalRecordId": "hs-42", "appRecordId": "user-7", "direction": "import"}
    )

    external_record_id: RecordId
    app_record_id: RecordId
    # Missing means both, as in the SDK (the OpenAPI marks it required).
    # Not strict: an enum arrives as its string value, in JSON and in the query fallback.
    direction: Annotated[Direction, Field(strict=False)] = Direction.BOTH


class DataLink(ApiModel):
    model_config = example(EXAMPLE)

    id: str
    data_link_table_instance_id: str
    external_record_id: str
    app_record_id: str
    direction: Literal["import", "export"]
    created_at: Timestamp
    updated_at: Timestamp


class DataLinkPage(Page[DataLink]):
    model_config = example(
        {"items": [EXAMPLE], "cursor": "WyIyMDI1LTAxLTMxVDA5OjMwOjAwKzAwOjAwIiwgMTAyNF0"}
    )
