"""Parameters many routes take, declared once: the element in the path, and the filters
every list has. Booleans arrive as strings and are read by core/query.parse_bool, so that
`yes` is a 400 naming the accepted values; the document shows them as booleans."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

from datalinks.core.openapi_components import BOOLEAN, BOOLEAN_NOTE, shared
from datalinks.core.query import parse_bool

Selector = Annotated[str, Path(description="The element's id or key.")]
QueryBool = Annotated[str | None, WithJsonSchema(BOOLEAN)]
Search = Annotated[
    str | None, shared("Search", "search", "Only elements whose name or key contains this text.")
]
IncludeArchived = Annotated[
    str | None,
    shared(
        "IncludeArchived", "includeArchived", f"Also list archived elements{BOOLEAN_NOTE}.", BOOLEAN
    ),
]


def only(name: str) -> Any:
    """A boolean filter's declaration: `isTest=true` lists only those whose `isTest` is true."""
    return Query(alias=name, description=f"Only those whose `{name}` is this{BOOLEAN_NOTE}")


class QueryFields(BaseModel):
    """A query model (`Annotated[Model, Query()]`): camelCase fields, as sent, None when
    absent; unknown ones are ignored. A model lists first the fields of the base it names
    last: `class A(Slot, Connection, Table)` reads table, connection, slot."""

    model_config = ConfigDict(alias_generator=to_camel)

    def values(self) -> dict[str, str | None]:
        return self.model_dump(by_alias=True)


class ArchivedQuery(QueryFields):
    include_archived: IncludeArchived = None

    def archived_too(self) -> bool:
        return bool(parse_bool("includeArchived", self.include_archived))


class SearchQuery(QueryFields):
    search: Search = None


class ListQuery(ArchivedQuery, SearchQuery):
    """What every list of elements takes besides paging."""
