"""Flat instance addressing (contract §5.2): a table's own GET answers with a connection's
instance of it when the query names a connection.

One route answers both cases, so it is mounted here, above both packages: the table comes
from data_link_tables' repository, the instance from this package's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from datalinks.core.openapi_components import errors
from datalinks.core.parameters import Selector
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import ConnectionInstanceQuery, connection_selector, instance_selector
from datalinks.data_link_table_instances.router import RepoDep, out
from datalinks.data_link_table_instances.schemas import DataLinkTableInstance
from datalinks.data_link_tables import router as data_link_tables
from datalinks.data_link_tables.schemas import DataLinkTable

router = ApiRouter(tags=["Data Link Tables"])


@router.get(
    "/data-link-tables/{selector}",
    operation_id="getDataLinkTable",
    summary="Get a data link table, or a connection's instance of it",
    response_model=DataLinkTable | DataLinkTableInstance,
    responses=errors(404),
)
async def get_table(
    selector: Selector,
    query: Annotated[ConnectionInstanceQuery, Query()],
    tables: data_link_tables.RepoDep,
    instances: RepoDep,
) -> Any:
    """The table; with a connection field in the query, that connection's instance of it
    (Membrane's `layer=connection` addressing)."""
    table = await tables.get(selector)
    params = query.values()
    if not connection_selector(params).given:
        return table
    sel = instance_selector(
        params,
        parent_id_field="dataLinkTableId",
        parent_key_field="dataLinkTableKey",
        parent_id=table.id,
    )
    return out(await instances.require(sel))
