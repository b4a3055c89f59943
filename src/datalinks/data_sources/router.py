from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Response

from datalinks.core.auth import PrincipalDep
from datalinks.core.element_routes import add_dependencies_route, add_element_routes
from datalinks.core.errors import BadRequest, ValidationFailed
from datalinks.core.openapi_components import AUTHENTICATED, errors
from datalinks.core.pagination import PageDep
from datalinks.core.parameters import ListQuery, QueryBool, Selector, only
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.core.schemas import Key, change_set
from datalinks.core.selectors import ConnectionInstanceQuery, IntegrationQuery
from datalinks.data_sources import schemas
from datalinks.data_sources.repository import DataSourceRepository, SourceFilters
from datalinks.db.session import SessionDep
from datalinks.integrations.repository import IntegrationRepository
from datalinks.models import DataSource

# Every route names a data source or an integration (in the path or the query).
router = ApiRouter(tags=["Data Sources"], responses={**AUTHENTICATED, **errors(404)})
ADMIN_ONLY = errors(403)
# Required columns and references: a PUT changes them only when it sends a value.
KEEP = frozenset(
    {
        "key",
        "name",
        "uuid",
        "pull_updates_interval_seconds",
        "full_sync_interval_seconds",
        "integration_id",
        "integration_key",
        "integration_uuid",
        "universal_data_source_id",
        "parent_id",
        "parent_key",
        "parent_uuid",
        "is_universal",
    }
)
LAYERS = ("universal", "integration", "connection")
# What @integration-app/sdk sends for "none": `integrationId=null` (universal data sources
# only), `universalDataSourceId=null` (those that specialise no universal one).
NULL = "null"


IntegrationInQuery = Annotated[IntegrationQuery, Query()]
IntegrationPath = Annotated[str, Path(description="The integration's id or key.")]
COLLECTION_KEY = "The collection's key."
CollectionKeyPath = Annotated[str, Path(description=COLLECTION_KEY)]


async def repository(
    integration: IntegrationInQuery, session: SessionDep, principal: PrincipalDep
) -> DataSourceRepository:
    """`integrationId`/`integrationKey` in the query say which integration a key means."""
    repo = DataSourceRepository(session, principal)
    integration_id = integration.integration_id or None
    if integration_id == NULL:
        integration_id = None
    integration_key = integration.integration_key or None
    if integration_id or integration_key:
        repo.integration = await repo.integration_by(integration_id, integration_key, None)
    return repo


async def integration_repository(
    integration: IntegrationPath, session: SessionDep, principal: PrincipalDep
) -> DataSourceRepository:
    """Routes under `/integrations/{integration}`: the path names the integration."""
    found = await IntegrationRepository(session, principal).get(integration)
    return DataSourceRepository(session, principal, found)


RepoDep = Annotated[DataSourceRepository, Depends(repository, scope="function")]
IntegrationRepoDep = Annotated[
    DataSourceRepository, Depends(integration_repository, scope="function")
]


def _universal_filter(*values: str | None) -> dict[str, Any]:
    """The SourceFilters of `universalDataSourceId` or an alias of it (the first one sent)."""
    value = next((value for value in values if value), None)
    if value == NULL:
        return {"no_universal_data_source": True}
    return {"universal_data_source_id": value}


SPECIALISING = (
    "Only those that specialise this universal data source (`null`: those that specialise none)."
)


class IntegrationSourceListQuery(ListQuery):
    universal_data_source_id: Annotated[
        str | None, Query(description=f"{SPECIALISING} `parentId` is an alias.")
    ] = None
    parent_id: str | None = None


class SourceListQuery(ListQuery):
    is_universal: Annotated[QueryBool, only("isUniversal")] = None
    layer: str | None = None
    universal_data_source_id: Annotated[
        str | None,
        Query(description=f"{SPECIALISING} `parentId` and `universalParentId` are aliases."),
    ] = None
    parent_id: str | None = None
    universal_parent_id: str | None = None
    data_source_id: str | None = None


@router.get("/data-sources", operation_id="listDataSources", response_model=schemas.DataSourcePage)
async def list_data_sources(
    # Read by `repository` too, which names the integration; only `null` matters here.
    integration: IntegrationInQuery,
    query: Annotated[SourceListQuery, Query()],
    repo: RepoDep,
    page: PageDep,
) -> dict[str, Any]:
    layer = query.layer
    if layer and layer not in LAYERS:
        raise ValidationFailed.field("layer", f"must be one of {', '.join(LAYERS)}")
    universal = parse_bool("isUniversal", query.is_universal)
    if layer == "universal" or integration.integration_id == NULL:
        universal = True
    elif layer == "integration":
        universal = False
    filters = SourceFilters(
        search=query.search,
        include_archived=query.archived_too(),
        integration_id=repo.integration.id if repo.integration else None,
        is_universal=universal,
        id=query.data_source_id,
        **_universal_filter(
            query.universal_data_source_id, query.parent_id, query.universal_parent_id
        ),
    )
    items, cursor = await repo.find(filters, page)
    return {"items": items, "cursor": cursor}


@router.post(
    "/data-sources",
    operation_id="createDataSource",
    response_model=schemas.DataSource,
    responses=ADMIN_ONLY,
)
async def create_data_source(body: schemas.DataSourceWrite, repo: RepoDep) -> DataSource:
    repo.principal.require_admin()
    repo.integration = None
    return await repo.create(body.model_dump(exclude_none=True))


@router.get("/data-source", operation_id="findDataSource", response_model=schemas.DataSource)
async def find_data_source(
    repo: RepoDep, id: str | None = None, key: str | None = None
) -> DataSource:
    if not id and not key:
        raise ValidationFailed.field("id", "id or key is required")
    return await repo.get(id or key or "")


# The data source's own case of the routes on its path. data_source_instances/flat_router.py
# owns those routes: with a connection in the query they act on that connection's instance
# of the data source instead (contract §8.2).


async def get_data_source(selector: str, repo: DataSourceRepository) -> schemas.DataSource:
    return schemas.DataSource.model_validate(await repo.get(selector))


async def update_data_source(
    selector: str, body: schemas.DataSourceWrite, repo: DataSourceRepository, *, replace: bool
) -> schemas.DataSource:
    repo.principal.require_admin()
    element = await repo.get(selector)
    saved = await repo.save(element, change_set(body, replace=replace, keep=KEEP))
    return schemas.DataSource.model_validate(saved)


async def archive_data_source(selector: str, repo: DataSourceRepository) -> None:
    repo.principal.require_admin()
    await repo.archive(await repo.get(selector))


async def restore_data_source(selector: str, repo: DataSourceRepository) -> schemas.DataSource:
    repo.principal.require_admin()
    return schemas.DataSource.model_validate(await repo.restore(await repo.get(selector)))


async def no_op(selector: str, repo: DataSourceRepository) -> schemas.DataSource:
    """`reset`, `setup` and `refresh` have nothing to do on a data source here (no connector
    to read a schema from)."""
    repo.principal.require_admin()
    return schemas.DataSource.model_validate(await repo.get(selector))


@router.post(
    "/data-sources/{selector}/refresh",
    operation_id="refreshDataSource",
    response_model=schemas.DataSource,
    responses=ADMIN_ONLY,
)
async def refresh_data_source(
    selector: Selector,
    # The query of its sibling routes on this path (flat_router.py), as documented all
    # along; with no connector there is nothing to refresh, so none of it is read.
    _: Annotated[ConnectionInstanceQuery, Query()],
    repo: RepoDep,
) -> schemas.DataSource:
    return await no_op(selector, repo)


@router.get(
    "/data-sources/{selector}/export",
    operation_id="exportDataSource",
    response_model=schemas.DataSourceExport,
)
async def export_data_source(selector: Selector, repo: RepoDep) -> schemas.DataSourceExport:
    return await repo.export(await repo.get(selector))


@router.post(
    "/data-sources/{selector}/clone",
    operation_id="cloneDataSource",
    response_model=schemas.DataSource,
    responses=ADMIN_ONLY,
)
async def clone_data_source(selector: Selector, repo: RepoDep) -> DataSource:
    """A copy under a new id, uuid and key; an archived data source (named by id) may be
    cloned too, and its copy is live."""
    repo.principal.require_admin()
    return await repo.clone(await repo.get(selector))


add_dependencies_route(router, path="/data-sources", name="DataSource", repo_dep=RepoDep)


# --- under an integration ---------------------------------------------------------------


@router.get(
    "/integrations/{integration}/data-sources",
    operation_id="listIntegrationDataSources",
    response_model=schemas.DataSourcePage,
)
async def list_integration_data_sources(
    repo: IntegrationRepoDep, query: Annotated[IntegrationSourceListQuery, Query()], page: PageDep
) -> dict[str, Any]:
    filters = SourceFilters(
        search=query.search,
        include_archived=query.archived_too(),
        integration_id=repo.context().id,
        **_universal_filter(query.universal_data_source_id, query.parent_id),
    )
    items, cursor = await repo.find(filters, page)
    return {"items": items, "cursor": cursor}


@router.post(
    "/integrations/{integration}/data-sources",
    operation_id="createIntegrationDataSource",
    response_model=schemas.DataSource,
    responses=ADMIN_ONLY,
)
async def create_integration_data_source(
    body: schemas.DataSourceWrite, repo: IntegrationRepoDep
) -> DataSource:
    repo.principal.require_admin()
    return await repo.create(body.model_dump(exclude_none=True))


add_element_routes(
    router,
    path="/integrations/{integration}/data-sources",
    name="IntegrationDataSource",
    repo_dep=IntegrationRepoDep,
    write_model=schemas.DataSourceWrite,
    out_model=schemas.DataSource,
    keep=KEEP,
    no_ops=("reset",),
)


# --- the integration's data collections ---------------------------------------------------


@router.get(
    "/integrations/{integration}/data",
    operation_id="getIntegrationDataLocations",
    # Membrane's name; here, the integration's data collections.
    summary="Get data collections",
    response_model=list[schemas.DataCollectionListItem],
)
async def list_data_collections(repo: IntegrationRepoDep) -> list[Any]:
    return await repo.collections.all_for(repo.context().id)


@router.get(
    "/integrations/{integration}/data/{collection_key}",
    operation_id="getIntegrationDataLocationByKey",
    summary="Get a data collection",
    response_model=schemas.DataCollectionSpec,
)
async def get_data_collection(collection_key: CollectionKeyPath, repo: IntegrationRepoDep) -> Any:
    return await repo.collections.get(repo.context().id, collection_key)


@router.put(
    "/integrations/{integration}/data/{collection_key}",
    operation_id="putDataCollection",
    response_model=schemas.DataCollectionSpec,
    responses=ADMIN_ONLY,
)
async def put_data_collection(
    collection_key: Annotated[Key, Path(description=COLLECTION_KEY)],
    body: schemas.DataCollectionWrite,
    repo: IntegrationRepoDep,
) -> Any:
    repo.principal.require_admin()
    integration = repo.context()
    if integration.archived_at is not None:
        raise BadRequest("The integration is archived; restore it before changing it")
    return await repo.collections.put(
        integration.id, collection_key, body.name or collection_key, body.parameters_schema
    )


@router.delete(
    "/integrations/{integration}/data/{collection_key}",
    operation_id="deleteDataCollection",
    response_class=Response,
    responses=ADMIN_ONLY,
)
async def delete_data_collection(
    collection_key: CollectionKeyPath, repo: IntegrationRepoDep
) -> Response:
    repo.principal.require_admin()
    await repo.collections.delete(repo.context().id, collection_key)
    return Response(status_code=200)
