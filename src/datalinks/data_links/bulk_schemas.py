"""Bodies of the bulk link routes (datalinks additions): batch upsert, resolve, delete-batch,
and the report of an import."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from datalinks.core.schemas import ApiModel, RequestModel, example
from datalinks.data_links.schemas import DataLinkWrite, Direction, RecordId

BATCH_MAX = 1000
TWO_LINKS = [
    {"externalRecordId": "hs-42", "appRecordId": "user-7", "direction": "import"},
    {"externalRecordId": "hs-43", "appRecordId": "user-8"},
]


def issues_of(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {
            "path": ".".join([prefix, *(str(p) for p in error["loc"])]).strip("."),
            "message": error["msg"],
        }
        for error in exc.errors()
    ]


class InvalidLink:
    """An item of a batch that is not a valid link: kept in place, so that `partial=true` can
    report it by index while the valid items are written. A plain class, not a model, so that
    it never shows in the OpenAPI document."""

    def __init__(self, issues: list[dict[str, str]]) -> None:
        self.issues = issues


def _keep_invalid(value: Any, _: ValidatorFunctionWrapHandler) -> DataLinkWrite | InvalidLink:
    # Each item is validated exactly like a single create's body.
    try:
        return DataLinkWrite.model_validate(value)
    except ValidationError as exc:
        return InvalidLink(issues_of(exc))


# Documented as a DataLinkWrite; at run time an invalid item becomes an InvalidLink instead of
# failing the whole body.
BatchItem = Annotated[DataLinkWrite | SkipJsonSchema[InvalidLink], WrapValidator(_keep_invalid)]


class DataLinkBatchWrite(RequestModel):
    """Links to upsert in one call, each validated as a single create's body."""

    model_config = ConfigDict(
        **RequestModel.model_config,
        arbitrary_types_allowed=True,
        **example({"links": TWO_LINKS}),
    )

    links: Annotated[list[BatchItem], Field(min_length=1, max_length=BATCH_MAX)] = Field(
        description=f"1 to {BATCH_MAX} links; `direction` missing or `both` stores two links. "
        "Repeated links (the same externalRecordId, appRecordId and stored direction) are "
        "written once, at the position of their first occurrence."
    )
    partial: bool = Field(
        default=False,
        description="false (default): any invalid item fails the whole call with a 400 naming "
        "each one, and nothing is written. true: valid items are written and invalid ones are "
        "listed in `errors`.",
    )


class DataLinkBatchItemError(ApiModel):
    index: int = Field(description="Position of the item in `links`, from 0")
    message: str
    issues: list[dict[str, str]]


class DataLinkBatchResult(ApiModel):
    """What a batch wrote: created and updated count stored links."""

    model_config = example({"created": 3, "updated": 0})

    created: int = Field(description="Links stored that did not exist (a `both` item counts 2)")
    updated: int = Field(description="Links that existed (their updatedAt moves)")
    errors: list[DataLinkBatchItemError] | None = Field(
        default=None, description="With partial=true, the invalid items (omitted when none)"
    )


class DataLinkResolve(RequestModel):
    """Record ids of one side to look up: exactly one of externalRecordIds and appRecordIds."""

    model_config = example({"direction": "import", "externalRecordIds": ["hs-42", "hs-99"]})

    # Not strict: an enum arrives as its string value.
    direction: Annotated[Direction, Field(strict=False)] = Field(
        default=Direction.BOTH, description="`both` (the default) matches either direction"
    )
    external_record_ids: (
        Annotated[list[RecordId], Field(min_length=1, max_length=BATCH_MAX)] | None
    ) = None
    app_record_ids: Annotated[list[RecordId], Field(min_length=1, max_length=BATCH_MAX)] | None = (
        None
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> DataLinkResolve:
        if (self.external_record_ids is None) == (self.app_record_ids is None):
            raise ValueError("give exactly one of externalRecordIds and appRecordIds")
        return self

    @property
    def by_external(self) -> bool:
        return self.external_record_ids is not None

    @property
    def ids(self) -> list[str]:
        if self.external_record_ids is not None:
            return self.external_record_ids
        return self.app_record_ids or []


class ResolvedPair(ApiModel):
    external_record_id: str
    app_record_id: str


class DataLinkResolveResult(ApiModel):
    model_config = example(
        {"found": [{"externalRecordId": "hs-42", "appRecordId": "user-7"}], "missing": ["hs-99"]}
    )

    found: list[ResolvedPair] = Field(
        description="One entry per linked pair, in the order of the ids asked for, then oldest "
        "link first; an id linked to several records appears several times"
    )
    missing: list[str] = Field(description="The ids asked for that have no link, in order")


class DataLinkDeleteBatch(RequestModel):
    """Links to delete; absent ones are no error."""

    model_config = example({"links": TWO_LINKS})

    links: Annotated[list[DataLinkWrite], Field(min_length=1, max_length=BATCH_MAX)] = Field(
        description=f"1 to {BATCH_MAX} links; `direction` missing or `both` deletes both"
    )


class DataLinkDeleteBatchResult(ApiModel):
    model_config = example({"deleted": 3})

    deleted: int = Field(description="Stored links removed; absent ones are not an error")


class ImportLineError(ApiModel):
    line: int = Field(description="Line number in the uploaded file, from 1")
    message: str


class DataLinkImportResult(ApiModel):
    """What an import did; created and updated count stored links, each link once."""

    model_config = example({"created": 2, "updated": 0, "rejected": 0, "errors": []})

    created: int
    updated: int
    rejected: int = Field(description="Malformed lines skipped (only with partial=true)")
    errors: list[ImportLineError] = Field(description="The first rejected lines")
