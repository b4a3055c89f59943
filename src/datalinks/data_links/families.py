"""What a link route needs per request, and the two path families that name an instance.

Every link operation exists on both families: instance-addressed (`/data-link-table-instance/
links?{selector}`, what the SDK calls) and table-addressed (`/data-link-tables/{selector}/
links?connectionId=…`, Membrane's current OpenAPI). A route is written once and registered on
each family (`FAMILIES`), its handler taking a `Target`: the selector, and whether it may take
the remembered-instance shortcut.

No `from __future__ import annotations` here: FastAPI reads these dependencies' annotations at
runtime.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import ValidationFailed
from datalinks.core.parameters import Selector
from datalinks.core.selectors import InstanceSelector, TableInstanceQuery, instance_selector
from datalinks.data_link_table_instances.repository import DataLinkTableInstanceRepository
from datalinks.data_link_tables.repository import DataLinkTableRepository
from datalinks.data_links.repository import DataLinkRepository
from datalinks.db.session import SessionDep, get_database

INSTANCE_LINKS = "/data-link-table-instance/links"
TABLE_LINKS = "/data-link-tables/{selector}/links"


class Links:
    """The repositories a link route uses, built per request."""

    def __init__(self, request: Request, session: SessionDep, principal: PrincipalDep) -> None:
        self.instances = DataLinkTableInstanceRepository(session, principal)
        self.tables = DataLinkTableRepository(session, principal)
        self.links = DataLinkRepository(session, get_database(request).autocommit)


async def links(request: Request, session: SessionDep, principal: PrincipalDep) -> Links:
    # An async factory: FastAPI runs a plain class or def dependency in a worker thread.
    return Links(request, session, principal)


LinksDep = Annotated[Links, Depends(links, scope="function")]


@dataclass(frozen=True)
class Target:
    """The instance a request names, read only once the handler runs: a malformed body is
    reported before an unknown table or a bad selector, whichever family it came by."""

    request: Request
    deps: Links
    query: TableInstanceQuery
    # The table named in the path (table-addressed family), else None.
    table: str | None

    @property
    def fast(self) -> bool:
        # The table-addressed family resolves its table from the path on every call (an `id`
        # in the query must be an instance of that table): it never takes the shortcut.
        return self.table is None

    async def selector(self) -> InstanceSelector:
        params = self.query.values()
        parent_id = None
        if self.table is not None:
            table = await self.deps.tables.get(self.table)
            for field, expected in (
                ("dataLinkTableId", table.id),
                ("dataLinkTableKey", table.key),
            ):
                sent = params[field]
                if sent and sent != expected:
                    raise ValidationFailed.field(
                        field, "conflicts with the table named in the path"
                    )
            parent_id = table.id
        return instance_selector(
            params,
            parent_id_field="dataLinkTableId",
            parent_key_field="dataLinkTableKey",
            parent_id=parent_id,
        )


InstanceQuery = Annotated[TableInstanceQuery, Query()]


async def instance_target(request: Request, deps: LinksDep, query: InstanceQuery) -> Target:
    return Target(request, deps, query, None)


async def table_target(
    selector: Selector, request: Request, deps: LinksDep, query: InstanceQuery
) -> Target:
    """The path names the table; the query picks the instance (`id` = instance id)."""
    return Target(request, deps, query, selector)


@dataclass(frozen=True)
class Family:
    path: str
    # The dependency that names the instance: a handler declares
    # `target: Target = Depends(family.target)`.
    target: Callable[..., Awaitable[Target]]
    # operationId and summary per operation, where the two families' do not follow one
    # pattern.
    operation_ids: Mapping[str, str]
    summaries: Mapping[str, str]
    # The stem of the other operationIds (createDataLinkTableInstanceLinksBatch, …).
    stem: str


INSTANCE = Family(
    path=INSTANCE_LINKS,
    target=instance_target,
    operation_ids={
        "find": "findDataLinkTableInstanceLinks",
        "create": "createDataLinkTableInstanceLink",
        "delete": "deleteDataLinkTableInstanceLink",
    },
    summaries={
        "find": "Find links in an instance",
        "create": "Create (upsert) a link in an instance",
        "delete": "Delete a link from an instance",
    },
    stem="DataLinkTableInstance",
)
TABLE = Family(
    path=TABLE_LINKS,
    target=table_target,
    operation_ids={
        "find": "getDataLinkTableLinks",
        "create": "createDataLinkTableLink",
        "delete": "deleteDataLinkTableLink",
    },
    summaries={
        "find": "Find links (table in the path)",
        "create": "Create (upsert) a link (table in the path)",
        "delete": "Delete a link (table in the path)",
    },
    stem="DataLinkTable",
)
FAMILIES = (INSTANCE, TABLE)
