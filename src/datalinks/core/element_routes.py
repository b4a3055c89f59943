"""The get / put / patch / archive / restore routes every workspace element has, built once.

No `from __future__ import annotations` here: FastAPI reads the closures' annotations at
runtime, and they name the models passed in.
"""

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import BaseModel

from datalinks.core.openapi_components import errors
from datalinks.core.pagination import PageDep
from datalinks.core.parameters import ListQuery, Selector
from datalinks.core.repository import ElementRepository
from datalinks.core.routing import ApiRouter, summary_of
from datalinks.core.schemas import change_set

# The operationId verb of each write, per HTTP method. Membrane's verbs differ by element
# (its PUT is `updateCustomer` but `replaceDataSource`, its DELETE `deleteCustomer` but
# `archiveConnection`), so elements Membrane has pass its verbs; datalinks' own keep these.
OWN_VERBS: Mapping[str, str] = {"PUT": "put", "PATCH": "update", "DELETE": "archive"}
# Membrane's verbs for customers and data link tables, and for integrations and connections.
UPDATE_PATCH_DELETE: Mapping[str, str] = {"PUT": "update", "PATCH": "patch", "DELETE": "delete"}
UPDATE_PATCH_ARCHIVE: Mapping[str, str] = {"PUT": "update", "PATCH": "patch", "DELETE": "archive"}


def add_element_routes(
    router: ApiRouter,
    *,
    path: str,
    name: str,
    repo_dep: Any,
    write_model: type[BaseModel],
    out_model: type[BaseModel],
    keep: frozenset[str],
    prepare: Callable[[ElementRepository[Any], dict[str, Any]], Any] | None = None,
    admin_writes: bool = True,
    include_get: bool = True,
    no_ops: tuple[str, ...] = (),
    verbs: Mapping[str, str] = OWN_VERBS,
) -> None:
    """Adds `GET/PUT/PATCH/DELETE {path}/{selector}` and `POST …/restore` for one element.

    `name` is the operationId stem (`DataLinkTable` → getDataLinkTable, …) and `verbs` the
    prefixes of the PUT, PATCH and DELETE ids (see OWN_VERBS); writes need an admin
    token unless `admin_writes` is off (then the repository's scope is the only guard);
    `prepare` may check or translate a change set before it is saved; `include_get=False`
    leaves the GET to the caller (a route that also answers for instances). Each name in
    `no_ops` adds `POST …/{selector}/{name}` (Membrane's setup, refresh, reset): with no
    connector behind an element there is nothing to run, so it answers with the element.
    """
    item = f"{path}/{{selector}}"
    found = errors(404)
    writes = errors(403, 404) if admin_writes else found

    def authorise(repo: ElementRepository[Any]) -> None:
        if admin_writes:
            repo.principal.require_admin()

    async def get(selector: Selector, repo: repo_dep) -> Any:
        return await repo.get(selector)

    async def update(selector: str, body: Any, repo: Any, replace: bool) -> Any:
        authorise(repo)
        element = await repo.get(selector)
        changes = change_set(body, replace=replace, keep=keep)
        if prepare is not None:
            changes = await prepare(repo, changes)
        return await repo.save(element, changes)

    async def put(selector: Selector, body: write_model, repo: repo_dep) -> Any:  # type: ignore[valid-type]
        return await update(selector, body, repo, replace=True)

    async def patch(selector: Selector, body: write_model, repo: repo_dep) -> Any:  # type: ignore[valid-type]
        return await update(selector, body, repo, replace=False)

    async def archive(selector: Selector, repo: repo_dep) -> Response:
        authorise(repo)
        await repo.archive(await repo.get(selector))
        return Response(status_code=200)

    async def restore(selector: Selector, repo: repo_dep) -> Any:
        authorise(repo)
        return await repo.restore(await repo.get_to_restore(selector))

    async def no_op(selector: Selector, repo: repo_dep) -> Any:
        authorise(repo)
        return await repo.get(selector)

    # (path, method, handler, operationId): every write is a `writes`, the GET a `found`.
    routes: list[tuple[str, str, Callable[..., Any], str]] = [
        (f"{item}/{action}", "POST", no_op, f"{action}{name}") for action in no_ops
    ]
    if include_get:
        routes.append((item, "GET", get, f"get{name}"))
    routes += [
        (item, "PUT", put, f"{verbs['PUT']}{name}"),
        (item, "PATCH", patch, f"{verbs['PATCH']}{name}"),
        (f"{item}/restore", "POST", restore, f"restore{name}"),
    ]
    for route_path, method, handler, operation_id in routes:
        router.add_api_route(
            route_path,
            handler,
            methods=[method],
            operation_id=operation_id,
            response_model=out_model,
            responses=found if method == "GET" else writes,
        )
    router.add_api_route(
        item,
        archive,
        methods=["DELETE"],
        operation_id=f"{verbs['DELETE']}{name}",
        # Whatever Membrane calls it, it archives.
        summary=summary_of(f"archive{name}"),
        response_class=Response,
        responses=writes,
    )


def add_dependencies_route(router: ApiRouter, *, path: str, name: str, repo_dep: Any) -> None:
    """`GET {path}/{selector}/dependencies` (operationId get{name}Dependencies): in Membrane,
    the elements this one needs to work (flows, connectors, parents); an element here needs
    nothing, so once it is found the answer is an empty list."""

    async def dependencies(selector: Selector, repo: repo_dep) -> list[dict[str, Any]]:
        await repo.get(selector)
        return []

    router.add_api_route(
        f"{path}/{{selector}}/dependencies",
        dependencies,
        methods=["GET"],
        operation_id=f"get{name}Dependencies",
        response_model=list[dict[str, Any]],
        responses={**errors(404), 200: {"content": {"application/json": {"example": []}}}},
    )


def add_list_route(
    router: ApiRouter, *, path: str, name: str, repo_dep: Any, page_model: type[BaseModel]
) -> None:
    """`GET {path}` with `search`, `includeArchived` and paging: the list of an element that
    has no other filters. `name` is plural (`Integrations` → listIntegrations)."""

    async def list_elements(
        repo: repo_dep, query: Annotated[ListQuery, Query()], page: PageDep
    ) -> dict[str, Any]:
        items, cursor = await repo.list_page(
            page, search=query.search, include_archived=query.archived_too()
        )
        return {"items": items, "cursor": cursor}

    router.add_api_route(
        path, list_elements, methods=["GET"], operation_id=f"list{name}", response_model=page_model
    )
