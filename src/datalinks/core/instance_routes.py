"""The get / put / patch / archive / restore routes of an instance named by the selector in its
query (`/data-link-table-instance?…`, `/data-source-instance?…`), built once for both kinds.

No `from __future__ import annotations` here: FastAPI reads the closures' annotations at
runtime, and they name the models passed in.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Body, Response
from pydantic import BaseModel

from datalinks.core.openapi_components import errors
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import InstanceSelector

# What a PUT (`replace=True`) or PATCH does with the selected instance and the body.
Change = Callable[[Any, InstanceSelector, Any, bool], Awaitable[Any]]


def add_instance_routes(
    router: ApiRouter,
    *,
    path: str,
    name: str,
    repo_dep: Any,
    selector_dep: Any,
    write_model: type[BaseModel],
    out_model: type[BaseModel],
    out: Callable[[Any], Any],
    change: Change,
) -> None:
    """`GET/PUT/PATCH/DELETE {path}` and `POST {path}/restore`; operationIds get{name},
    put{name}, update{name}, archive{name}, restore{name}. `out` makes the answer of a
    resolved instance; the body of a PUT or PATCH is optional (the SDK sends none)."""
    body_type = Annotated[write_model | None, Body()]  # type: ignore[valid-type]
    found = errors(404)

    async def get(repo: repo_dep, sel: selector_dep) -> Any:
        return out(await repo.require(sel))

    async def put(repo: repo_dep, sel: selector_dep, body: body_type = None) -> Any:
        return await change(repo, sel, body, True)

    async def patch(repo: repo_dep, sel: selector_dep, body: body_type = None) -> Any:
        return await change(repo, sel, body, False)

    async def archive(repo: repo_dep, sel: selector_dep) -> Response:
        await repo.archive_selected(sel)
        return Response(status_code=200)

    async def restore(repo: repo_dep, sel: selector_dep) -> Any:
        return out(await repo.restore_selected(sel))

    for route_path, method, handler, verb in (
        (path, "GET", get, "get"),
        (path, "PUT", put, "put"),
        (path, "PATCH", patch, "update"),
        (f"{path}/restore", "POST", restore, "restore"),
    ):
        router.add_api_route(
            route_path,
            handler,
            methods=[method],
            operation_id=f"{verb}{name}",
            response_model=out_model,
            responses=found,
        )
    router.add_api_route(
        path,
        archive,
        methods=["DELETE"],
        operation_id=f"archive{name}",
        response_class=Response,
        responses=found,
    )
