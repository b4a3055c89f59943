"""The get / put / patch / archive / restore routes every workspace element has, built once.

No `from __future__ import annotations` here: FastAPI reads the closures' annotations at
runtime, and they name the models passed in.
"""

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from pydantic import BaseModel

from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.query import parse_bool
from datalinks.core.repository import ElementRepository
from datalinks.core.routing import ApiRouter
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

    def authorise(repo: ElementRepository[Any]) -> None:
        if admin_writes:
            repo.principal.require_admin()

    async def get(selector: str, repo: repo_dep) -> Any:
        return await repo.get(selector)

    async def update(selector: str, body: Any, repo: Any, replace: bool) -> Any:
        authorise(repo)
        element = await repo.get(selector)
        changes = change_set(body, replace=replace, keep=keep)
        if prepare is not None:
            changes = await prepare(repo, changes)
        return await repo.save(element, changes)

    async def put(selector: str, body: write_model, repo: repo_dep) -> Any:  # type: ignore[valid-type]
        return await update(selector, body, repo, replace=True)

    async def patch(selector: str, body: write_model, repo: repo_dep) -> Any:  # type: ignore[valid-type]
        return await update(selector, body, repo, replace=False)

    async def archive(selector: str, repo: repo_dep) -> Response:
        authorise(repo)
        await repo.archive(await repo.get(selector))
        return Response(status_code=200)

    async def restore(selector: str, repo: repo_dep) -> Any:
        authorise(repo)
        return await repo.restore(await repo.get_to_restore(selector))

    async def no_op(selector: str, repo: repo_dep) -> Any:
        authorise(repo)
        return await repo.get(selector)

    for action in no_ops:
        router.add_api_route(
            f"{item}/{action}",
            no_op,
            methods=["POST"],
            operation_id=f"{action}{name}",
            response_model=out_model,
        )

    if include_get:
        router.add_api_route(
            item, get, methods=["GET"], operation_id=f"get{name}", response_model=out_model
        )
    router.add_api_route(
        item, put, methods=["PUT"], operation_id=f"{verbs['PUT']}{name}", response_model=out_model
    )
    router.add_api_route(
        item,
        patch,
        methods=["PATCH"],
        operation_id=f"{verbs['PATCH']}{name}",
        response_model=out_model,
    )
    router.add_api_route(
        item,
        archive,
        methods=["DELETE"],
        operation_id=f"{verbs['DELETE']}{name}",
        response_class=Response,
    )
    router.add_api_route(
        f"{item}/restore",
        restore,
        methods=["POST"],
        operation_id=f"restore{name}",
        response_model=out_model,
    )


def add_dependencies_route(router: ApiRouter, *, path: str, name: str, repo_dep: Any) -> None:
    """`GET {path}/{selector}/dependencies` (operationId get{name}Dependencies): in Membrane,
    the elements this one needs to work (flows, connectors, parents); an element here needs
    nothing, so once it is found the answer is an empty list."""

    async def dependencies(selector: str, repo: repo_dep) -> list[dict[str, Any]]:
        await repo.get(selector)
        return []

    router.add_api_route(
        f"{path}/{{selector}}/dependencies",
        dependencies,
        methods=["GET"],
        operation_id=f"get{name}Dependencies",
        response_model=list[dict[str, Any]],
    )


def add_list_route(
    router: ApiRouter, *, path: str, name: str, repo_dep: Any, out_model: type[BaseModel]
) -> None:
    """`GET {path}` with `search`, `includeArchived` and paging: the list of an element that
    has no other filters. `name` is plural (`Integrations` → listIntegrations)."""

    async def list_elements(
        repo: repo_dep,
        page: Annotated[PageParams, Depends(page_params)],
        search: str | None = None,
        include_archived: Annotated[str | None, Query(alias="includeArchived")] = None,
    ) -> dict[str, Any]:
        items, cursor = await repo.list_page(
            page,
            search=search,
            include_archived=bool(parse_bool("includeArchived", include_archived)),
        )
        return {"items": items, "cursor": cursor}

    router.add_api_route(
        path,
        list_elements,
        methods=["GET"],
        operation_id=f"list{name}",
        response_model=Page[out_model],  # type: ignore[valid-type]
    )
